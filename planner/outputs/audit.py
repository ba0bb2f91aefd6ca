"""Reproducibility: re-plan a stored JSON plan's input and report what differs, and
compare the plans two knowledge bases make of one assessment."""
from __future__ import annotations

import json
from pathlib import Path

from planner.errors import InputError


MAX_LINES = 60


def differences(diff):
    """Lines naming every difference a ``PlanDiff`` of two plan documents found, field by field."""
    return [_line(change) for change in diff.fields]


def stamp_lines(diff):
    """Which of the plan's stamps changed, so an auditor learns first what to look for: the input,
    the knowledge base (the rules and tables the plan follows from) or the presentation (the
    templates that word and lay out the outputs)."""
    lines = []
    if diff.stamp("input"):
        was, now = diff.stamp("input")
        lines.append(f"input changed: {was.get('digest')} -> {now.get('digest')}")
    if diff.stamp("kb"):
        was, now = diff.stamp("kb")
        lines.append(f"knowledge base changed: {was.get('version')} {was.get('digest')} -> "
                     f"{now.get('version')} {now.get('digest')}")
    if diff.stamp("presentation"):
        was, now = diff.stamp("presentation")
        lines.append(f"presentation changed: the templates that word and lay out the outputs are not those this "
                     f"plan was made with (digest {was.get('digest')} then, {now.get('digest')} now)")
    return lines


def _line(change):
    """One ``FieldChange`` as an audit line: ``-`` only in the stored plan, ``+`` only in the one
    made again, ``~`` changed."""
    from planner.outputs.textdiff import changed_part

    where, before, after = change.path, change.before, change.after
    if change.kind == "removed":
        return f"- {where}: {_short(before)}"
    if change.kind == "added":
        return f"+ {where}: {_short(after)}"
    if change.kind == "summarised":
        return f"~ {where}: differs ({before} -> {after} entries)"
    if change.kind == "swapped":
        return f"~ {where}: {after[0]} and {after[1]} swapped ({before[0]} is listed before {before[1]})"
    if change.kind == "reordered":
        return f"~ {where}: order changed: {', '.join(before)} -> {', '.join(after)}"
    return f"~ {where}: {changed_part(before, after)}"


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
    from planner.plans.diff import plan_diff
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
    diff = plan_diff(stored, fresh)
    if diff.same:
        return True, [f"reproduced (formatting differs): {plan_path} follows from {assessment_path} with "
                      f"{kb.name} {kb.version}; the content is the same, the bytes are not",
                      f"formatting: {_formatting(stored_text, text)}"]
    lines = [f"not reproduced: {plan_path}"]
    lines += stamp_lines(diff)
    changes = differences(diff)
    lines += changes[:MAX_LINES]
    if len(changes) > MAX_LINES:
        lines.append(f"... and {len(changes) - MAX_LINES} more differences")
    if not changes:
        lines.append("the content differs in a way not listed above (value types)")
    return False, lines


def diff_knowledge_bases(assessment_path, kb_a, kb_b):
    """Report lines: how the plan for one assessment changes from knowledge base A to B."""
    from planner.intake.assessment import load_assessment
    from planner.kb.knowledge import load_knowledge_base
    from planner.plans.diff import plan_diff
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
    changes = differences(plan_diff({k: plan_a[k] for k in sections}, {k: plan_b[k] for k in sections}))
    return lines + (changes or ["no difference in what is recommended, deferred or excluded, or why"])
