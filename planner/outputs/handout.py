"""One printed page for the adults who deliver most of the plan (domain brief sections 6, 12):
caregivers at home and teachers at school.

Only selection happens here: which steps a reader delivers, grouped by phase, and which
plain words (knowledge_base/plain_language.yaml) go with them. Every sentence lives in
that file or in templates/handout.*.j2.
"""
from __future__ import annotations

from planner.errors import InputError, Withheld
from planner.kb.explain import plain_language

READERS = ("caregiver", "teacher")
HANDOUT_FORMATS = ("md", "html")


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
    # A rule closed a setting this reader works in (SAFE-006: home, while an adult of the
    # household may harm the child): no handout goes there; the plan says who delivers instead.
    closed = {f["setting"] for f in plan.facts.values() if f.get("kind") == "closed_setting"}
    if closed & set(config.get("settings", ())):
        raise Withheld(f"no {reader} handout: {plain['withheld'][reader]}")
    # where the child lives for now (a ward) renames the page and its reader (plain-language `where`)
    places = {w for s in plan.steps for w in s["dose"]["where"]}
    config = dict(config, **next((v for k, v in config.get("where", {}).items() if k in places), {}))
    roles = set(config["roles"])
    team = {f["role"] for f in plan.facts.values() if f.get("kind") == "team"}
    groups, others, time, shared = [], [], {}, set()
    for step in plan.steps:
        words = _plain_activity(kb, plain, step["activity"])
        item = dict(words, id=step["id"], activity=step["activity"], phase=step["phase"],
                    to_try=bool(step.get("provisional") or step.get("to_try")), form=step.get("form"))
        if roles & set(step["dose"]["who"]):
            if not groups or groups[-1]["phase"] != step["phase"]:
                dose_id = _dose_of(plan, step)
                groups.append({"phase": step["phase"], "frequency": _frequency(plain, dose_id, team, step),
                               "minutes": step["dose"]["minutes"], "activities": [],
                               **plain["phases"].get(step["phase"], {})})
                _add_time(time, kb.doses[dose_id])
            groups[-1]["activities"].append(item)
            shared |= set(step["dose"]["who"]) - roles
        else:
            item["who"] = step["dose"]["who"]
            others.append(item)
    avoid = sorted({f["tag"] for f in plan.facts.values() if f.get("kind") == "avoid"})
    caution_ids = [c["caution"] for c in plan.cautions]
    from planner.outputs.view import first_cautions

    first = plain.get("first_cautions", {})
    return {
        "reader": reader,
        "config": config,
        "groups": groups,
        # this reader's own minutes, a day and/or a week as their part is dosed: {"day"|"week": [low, high]}
        "time": time,
        "shared": sorted(shared),     # the other adults who do this reader's steps too
        "others": others,
        "first": _unique(first[c["caution"]][reader] for c in first_cautions(plan) if reader in first[c["caution"]]),
        "cautions": _unique(_for_reader(plain["cautions"][c], reader) for c in caution_ids if c in plain["cautions"]),
        "avoid": [plain["avoid"][t] for t in avoid if t in plain["avoid"]],
        "waits": _waits(plan, plain["waits"]),
        # what this reader writes down for the plan's objectives (brief section 23)
        "record": _unique(o["record"] for o in plan.objectives if reader in o["observers"] and o["record"]),
        "signs": plain["signs"],
        "upset": plain["upset_baby" if plan.client["age_years"] < kb.parameter_values["infant_below_years"]
                       and "upset_baby" in plain else "upset"],
    }


def _dose_of(plan, step):
    """The id of the dose the dosing rules gave ``step`` (for its activity, phase and first target)."""
    return next(f["dose"] for f in plan.facts.values() if f.get("kind") == "dosed" and f["activity"] == step["activity"]
                and f["phase"] == step["phase"] and f["region"] == step["targets"][0])


def _frequency(plain, dose_id, team, step):
    """How often, in the reader's words: a dose that names an adult the team may lack (plain-language
    ``frequency``) says it only when that adult is on the team."""
    words = plain.get("frequency", {}).get(dose_id)
    if not words:
        return step["dose"]["frequency"]
    return words["with" if words["role"] in team else "without"]


def _add_time(time, dose):
    """Add one phase's dose (done once per time, whichever activity is picked) to the reader's minutes."""
    low, high = time.get(dose["per"], (0, 0))
    time[dose["per"]] = [low + dose["times"][0] * dose["minutes"][0], high + dose["times"][1] * dose["minutes"][1]]


def _for_reader(words, reader):
    """Plain words that are either the same for every reader or given by reader."""
    return words[reader] if isinstance(words, dict) else words


def _unique(items):
    return list(dict.fromkeys(items))


def _waits(plan, words):
    """[{"why", "what"}]: what waits, one entry per reason, in the order of ``words["why"]``.
    A deferred activity's reason is the first key of ``words["why"]`` that holds it (its
    deferrals' ``by``, or the band of the gate that ``by`` names), else ``other``; each
    phase's words are said once, under the first reason that holds any of its activities."""
    facts = plan.facts.values()
    bands = {f["by"]: f["band"] for f in facts if f.get("kind") == "gate"}
    held = {}
    for f in facts:
        if f.get("kind") == "deferred":
            held.setdefault((f["activity"], f["phase"]), set()).update({f["by"], bands.get(f["by"])})
    order = list(words["why"])
    reason_of = {}
    for d in plan.deferred:      # not what would not suit the child's age even then (as the summary)
        if d["phase"] in words["what"] and not any(b["r"] == "relevant" for b in d.get("also_blocked_by", ())):
            keys = held.get((d["activity"], d["phase"]), set())
            reason = next((k for k in order if k in keys), "other")
            reason_of[d["phase"]] = min(reason_of.get(d["phase"], reason), reason, key=order.index)
    return [{"why": words["why"][k], "what": [w for p, w in words["what"].items() if reason_of.get(p) == k]}
            for k in order if k in words["why"] and k in reason_of.values()]
