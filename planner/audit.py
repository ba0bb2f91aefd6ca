"""Reproducibility: re-plan a stored JSON plan's input and report what differs, and
compare the plans two knowledge bases make of one assessment."""
from __future__ import annotations

import json
from pathlib import Path

from .errors import InputError


def _summary(plan):
    """The parts of a plan (as its JSON dict) a reader compares."""
    return {
        "steps": {s["id"]: f"{s['phase']}: {s['activity']} ({', '.join(s['targets'])})" for s in plan["steps"]},
        "deferred": {d["activity"]: f"until {d['until']}" for d in plan["deferred"]},
        "excluded": {e["activity"]: ", ".join(f["r"] for f in e["fails"]) for e in plan["excluded"]},
        "regions": {r["id"]: f"{r['band']} (mean {r['mean']})" for r in plan["regions"]},
        "review": {"weeks": str((plan.get("review") or {}).get("weeks"))},
        "because": {s["activity"]: s["because"] for s in plan["steps"]}
                   | {f"deferred {d['activity']}": d["because"] for d in plan["deferred"]},
    }


def differences(old, new):
    """Lines naming every difference between two plan dicts, section by section."""
    lines = []
    a, b = _summary(old), _summary(new)
    for section in a:
        for key in sorted(set(a[section]) | set(b[section])):
            before, after = a[section].get(key), b[section].get(key)
            if before == after:
                continue
            if before is None:
                lines.append(f"+ {section} {key}: {after}")
            elif after is None:
                lines.append(f"- {section} {key}: {before}")
            else:
                lines.append(f"~ {section} {key}: {before} -> {after}")
    return lines


def load_plan_json(path):
    """A stored JSON plan; an ``InputError`` naming the file if it is not one."""
    from .assessment import read_text

    path = Path(path)
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(path, None, f"invalid JSON: {exc.msg}", "pass a plan made with --format json", exc.lineno)
    if not isinstance(data, dict) or data.get("format") != "seqplan/plan-1":
        raise InputError(path, "format", "is not a seqplan/plan-1 JSON plan", "make one with `seqplan plan FILE --format json`")
    return data


def audit(plan_path, assessment_path, kb_dir=None):
    """(reproduced?, report lines): re-plan the assessment and compare with the stored plan."""
    from .assessment import load_assessment
    from .knowledge import load_knowledge_base
    from .planning import make_plan
    from .render import render_plan

    stored_text = Path(plan_path).read_text("utf-8") if Path(plan_path).is_file() else None
    stored = load_plan_json(plan_path)
    kb = load_knowledge_base(kb_dir)
    assessment = load_assessment(assessment_path, kb)
    plan = make_plan(assessment, kb, redact="name" not in stored.get("client", {}))
    text = render_plan(plan, "json")
    if text == stored_text:
        return True, [f"reproduced: {plan_path} follows from {assessment_path} with {kb.name} {kb.version}"]
    lines = [f"not reproduced: {plan_path}"]
    if stored.get("input_digest") != assessment.digest:
        lines.append(f"input changed: {stored.get('input_digest')} -> {assessment.digest}")
    stored_kb = stored.get("kb", {})
    if stored_kb.get("digest") != kb.digest:
        lines.append(f"knowledge base changed: {stored_kb.get('version')} {stored_kb.get('digest')} -> "
                     f"{kb.version} {kb.digest}")
    if stored.get("seqplan_version") != plan.seqplan_version:
        lines.append(f"seqplan version changed: {stored.get('seqplan_version')} -> {plan.seqplan_version}")
    try:
        lines += differences(stored, json.loads(text))
    except (KeyError, TypeError):
        lines.append("the stored plan is incomplete or edited: its sections cannot be compared")
    if len(lines) == 1:
        lines.append("the stored file differs from the re-planned one byte for byte (edited or reformatted?)")
    return False, lines


def diff_knowledge_bases(assessment_path, kb_a, kb_b):
    """Report lines: how the plan for one assessment changes from knowledge base A to B."""
    from .assessment import load_assessment
    from .knowledge import load_knowledge_base
    from .planning import make_plan

    plans = []
    for directory in (kb_a, kb_b):
        kb = load_knowledge_base(directory)
        plans.append((kb, make_plan(load_assessment(assessment_path, kb), kb).to_dict()))
    (a, plan_a), (b, plan_b) = plans
    lines = [f"A: {a.name} {a.version} {a.digest} ({kb_a})", f"B: {b.name} {b.version} {b.digest} ({kb_b})"]
    changes = differences(plan_a, plan_b)
    return lines + (changes or ["no difference in steps, deferrals, exclusions, regions, review or justifications"])
