"""One printed page for the adults who deliver most of the plan (domain brief sections 6, 12):
caregivers at home and teachers at school.

Only selection happens here: which steps a reader delivers, grouped by phase, and which
plain words (knowledge_base/plain_language.yaml) go with them. Every sentence lives in
that file or in templates/handout.*.j2.
"""
from __future__ import annotations

from planner.errors import InputError

READERS = ("caregiver", "teacher")
HANDOUT_FORMATS = ("md", "html")
PLAIN_FILE = "plain_language.yaml"
_PLAIN = {}


def plain_language(kb):
    """The plain-language table of ``kb``'s directory, or the bundled one when that
    directory has none (a knowledge base passed with --kb need not carry one)."""
    from planner.errors import KnowledgeBaseError
    from planner.kb.knowledge import MAX_KB_FILE_BYTES
    from planner.resources import data_dir
    from planner.intake.safeload import LoadProblem, decode, parse_yaml, read_bytes

    path = kb.directory / PLAIN_FILE
    if not path.is_file():
        path = data_dir("knowledge_base") / PLAIN_FILE
    key = str(path.resolve())
    if key not in _PLAIN:
        try:      # as strictly as the rest of a knowledge base: it may come from --kb DIR
            _PLAIN[key] = parse_yaml(decode(read_bytes(path, MAX_KB_FILE_BYTES)))[0]
        except LoadProblem as exc:
            raise KnowledgeBaseError(f"{path}: {exc.problem}" + (f" ({exc.fix})" if exc.fix else "")) from None
    return _PLAIN[key]


def _plain_activity(kb, plain, activity_id):
    words = plain["activities"].get(activity_id)
    if words:
        return words
    activity = kb.activities[activity_id]
    return {"name": activity["name"], "what": activity["description"]}


def handout(plan, reader):
    """The context ``templates/handout.*.j2`` renders for ``reader`` (caregiver or teacher)."""
    if reader not in READERS:
        raise InputError("seqplan handout", "--for", f"unknown reader '{reader}'", f"use one of {', '.join(READERS)}")
    kb = plan.knowledge
    plain = plain_language(kb)
    config = plain["readers"][reader]
    roles = set(config["roles"])
    groups, others = [], []
    for step in plan.steps:
        words = _plain_activity(kb, plain, step["activity"])
        item = dict(words, id=step["id"], activity=step["activity"], phase=step["phase"],
                    to_try=bool(step.get("provisional") or step.get("to_try")))
        if roles & set(step["dose"]["who"]):
            if not groups or groups[-1]["phase"] != step["phase"]:
                groups.append({"phase": step["phase"], "frequency": step["dose"]["frequency"],
                               "minutes": step["dose"]["minutes"], "activities": [],
                               **plain["phases"].get(step["phase"], {})})
            groups[-1]["activities"].append(item)
        else:
            item["who"] = step["dose"]["who"]
            others.append(item)
    avoid = sorted({f["tag"] for f in plan.facts.values() if f.get("kind") == "avoid"})
    waits = []
    for d in plan.deferred:
        text = plain["waits"].get(d["phase"])
        if text and text not in waits:
            waits.append(text)
    return {
        "reader": reader,
        "config": config,
        "groups": groups,
        "others": others,
        "cautions": [plain["cautions"][c["caution"]] for c in plan.cautions if c["caution"] in plain["cautions"]],
        "avoid": [plain["avoid"][t] for t in avoid if t in plain["avoid"]],
        "waits": waits,
        "signs": plain["signs"],
        "upset": plain["upset"],
    }
