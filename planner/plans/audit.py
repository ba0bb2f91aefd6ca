"""Reproducibility: re-plan a stored JSON plan's input and report what differs, and
compare the plans two knowledge bases make of one assessment."""
from __future__ import annotations

import json
from pathlib import Path

from planner.errors import InputError


def _keyed(items, key):
    """A list of plan entries as {entry key: entry}, so moved entries compare by identity."""
    if isinstance(items, list) and all(isinstance(i, dict) and key in i for i in items):
        return {str(i[key]): i for i in items}
    return items


# lists whose entries have an identity: compared by it, not by position
_KEYS = {"steps": "activity", "alternatives": "activity", "deferred": "activity", "excluded": "activity",
         "regions": "id", "functions": "id", "strengths": "function", "delivery": "function", "cautions": "caution"}
_SUMMARISED = ("trace", "facts")   # long audit sections: counted, not listed entry by entry
MAX_LINES = 60


def differences(old, new, path=""):
    """Lines naming every difference between two plan dicts (or parts of them)."""
    if isinstance(old, dict) and isinstance(new, dict):
        lines = []
        for key in list(old) + [k for k in new if k not in old]:
            where = f"{path}.{key}" if path else str(key)
            if key not in new:
                lines.append(f"- {where}: {_short(old[key])}")
            elif key not in old:
                lines.append(f"+ {where}: {_short(new[key])}")
            elif key in _SUMMARISED and not path:
                if old[key] != new[key]:
                    lines.append(f"~ {where}: differs ({_count(old[key])} -> {_count(new[key])} entries)")
            else:
                field = _KEYS.get(key)
                if field:
                    lines += _order(old[key], new[key], field, where)
                lines += differences(_keyed(old[key], field), _keyed(new[key], field), where) if field \
                    else differences(old[key], new[key], where)
        return lines
    if old != new:
        from planner.outputs.textdiff import changed_part

        return [f"~ {path}: {changed_part(old, new)}"]
    return []


def _order(old, new, key, where):
    """A line saying how entries present in both lists moved ("S1 and S2 swapped"), or none:
    entries are compared by identity, so without this a moved step would go unnoticed."""
    if not all(isinstance(x, list) and all(isinstance(i, dict) and key in i for i in x) for x in (old, new)):
        return []
    old_ids, new_ids = [str(i[key]) for i in old], [str(i[key]) for i in new]
    both = set(old_ids) & set(new_ids)
    before, after = [i for i in old_ids if i in both], [i for i in new_ids if i in both]
    if before == after:
        return []
    moved = [n for n, (a, b) in enumerate(zip(before, after)) if a != b]
    if len(moved) == 2 and before[moved[0]] == after[moved[1]] and before[moved[1]] == after[moved[0]]:
        first, second = (new[new_ids.index(after[n])].get("id") or f"#{n + 1}" for n in moved)
        return [f"~ {where}: {first} and {second} swapped ({after[moved[1]]} is listed before {after[moved[0]]})"]
    return [f"~ {where}: order changed: {', '.join(before)} -> {', '.join(after)}"]


def _formatting(stored_text, text):
    """How a content-equal stored plan differs in bytes from what seqplan writes."""
    if stored_text.replace("\r\n", "\n") == text:
        return "line endings are CRLF, not LF"
    if stored_text.rstrip() == text.rstrip():
        return "the end of the file differs (trailing whitespace or line break)"
    return "whitespace, key order or number formatting differs (re-serialised JSON)"


def _short(value, width=160):
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= width else text[:width - 3] + "..."


def _count(value):
    return len(value) if isinstance(value, (list, dict)) else 1


def _no_duplicates(pairs):
    """``json.loads`` hook: a key written twice is a forgery the last value would hide (seqplan
    never writes one), so it is refused, not silently resolved."""
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise DuplicateKey(twice[0])
    return dict(pairs)


class DuplicateKey(ValueError):
    """A JSON object holding one key twice."""


def load_plan_json(path, text):
    """A stored JSON plan (its file's ``text``); an ``InputError`` naming the file if it is not one,
    or if any object in it holds a key twice."""
    path = Path(path)
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except DuplicateKey as exc:
        raise InputError(path, str(exc), "is written twice in one object, so one value hides the other",
                         "audit the plan file seqplan wrote, unedited") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, None, f"invalid JSON: {exc.msg}", "pass a plan made with --format json", exc.lineno)
    if not isinstance(data, dict) or data.get("format") != "seqplan/plan-1":
        raise InputError(path, "format", "is not a seqplan/plan-1 JSON plan", "make one with `seqplan plan FILE --format json`")
    return data


def audit(plan_path, assessment_path, kb_dir=None):
    """(reproduced?, report lines): re-plan the assessment and compare with the stored plan.
    Every line is one line: keys and values from the stored file show control characters
    escaped (a tampered plan cannot drive the terminal)."""
    from planner.errors import one_line

    reproduced, lines = _audit(plan_path, assessment_path, kb_dir)
    return reproduced, [one_line(line) for line in lines]


def _audit(plan_path, assessment_path, kb_dir):
    from planner.intake.assessment import load_assessment, read_text
    from planner.kb.knowledge import load_knowledge_base
    from planner.plans.planning import make_plan
    from planner.outputs.render import render_plan

    stored_text = read_text(plan_path)
    stored = load_plan_json(plan_path, stored_text)
    kb = load_knowledge_base(kb_dir)
    assessment = load_assessment(assessment_path, kb)
    plan = make_plan(assessment, kb, redact=bool(stored.get("redacted")))
    text = render_plan(plan, "json")
    if text == stored_text:
        return True, [f"reproduced: {plan_path} follows from {assessment_path} with {kb.name} {kb.version}"]
    fresh = json.loads(text)
    if stored == fresh and not _types_differ(stored, fresh):
        return True, [f"reproduced (formatting differs): {plan_path} follows from {assessment_path} with "
                      f"{kb.name} {kb.version}; the content is the same, the bytes are not",
                      f"formatting: {_formatting(stored_text, text)}"]
    lines = [f"not reproduced: {plan_path}"]
    if stored.get("input_digest") != plan.input_digest:
        lines.append(f"input changed: {stored.get('input_digest')} -> {plan.input_digest}")
    stored_kb = stored.get("kb") if isinstance(stored.get("kb"), dict) else {}
    if stored_kb.get("digest") != kb.digest:
        lines.append(f"knowledge base changed: {stored_kb.get('version')} {stored_kb.get('digest')} -> "
                     f"{kb.version} {kb.digest}")
    changes = differences(stored, fresh)
    lines += changes[:MAX_LINES]
    if len(changes) > MAX_LINES:
        lines.append(f"... and {len(changes) - MAX_LINES} more differences")
    if not changes:
        lines.append("the content differs in a way not listed above (value types)")
    return False, lines


def _types_differ(a, b):
    """Whether two equal plans differ in the type of a value (1 and 1.0, true and 1 compare
    equal in Python): an auditor must see a changed type, never "formatting"."""
    if isinstance(a, dict) and isinstance(b, dict):
        return any(_types_differ(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return any(_types_differ(x, y) for x, y in zip(a, b))
    # seqplan writes each number in one type: 1.0 where it wrote 1 (or 0.0 for false) is a
    # changed value, not formatting
    return type(a) is not type(b)


def diff_knowledge_bases(assessment_path, kb_a, kb_b):
    """Report lines: how the plan for one assessment changes from knowledge base A to B."""
    from planner.intake.assessment import load_assessment
    from planner.kb.knowledge import load_knowledge_base
    from planner.plans.planning import make_plan

    plans = []
    for directory in (kb_a, kb_b):
        kb = load_knowledge_base(directory)
        plans.append((kb, make_plan(load_assessment(assessment_path, kb), kb).to_dict()))
    (a, plan_a), (b, plan_b) = plans
    lines = [f"A: {a.name} {a.version} {a.digest} ({kb_a})", f"B: {b.name} {b.version} {b.digest} ({kb_b})"]
    if a.version == b.version and a.digest != b.digest:
        lines.append("note: both knowledge bases say version "
                     f"{a.version} but their contents differ: bump the version when a rule changes")
    sections = ("regions", "start", "steps", "alternatives", "deferred", "excluded", "strengths", "delivery",
                "cautions", "risks", "regulate_duration", "review")
    changes = differences({k: plan_a[k] for k in sections}, {k: plan_b[k] for k in sections})
    return lines + (changes or ["no difference in what is recommended, deferred or excluded, or why"])
