"""What-if: plan an assessment as it is and as changed, and say what changed and which
rules made each difference. The comparison is data; templates/trainer-whatif.md.j2 words it."""
from __future__ import annotations

from planner.plans.diff import fired_of, gates_of, outline, plan_diff

WHATIF_FORMAT = "seqplan/whatif-1"


SUMMARY_KEYS = ("client", "kb", "input_digest", "regions", "steps", "alternatives", "deferred", "excluded", "start",
                "review", "regulate_duration", "cautions")
BASELINE_TYPES = dict({k: list for k in ("regions", "steps", "alternatives", "deferred", "excluded", "cautions",
                                         "gates")}, client=dict, kb=dict, input_digest=str, fired=dict)


def summary(plan):
    """What a what-if comparison reads of a plan, as JSON-ready data: the plan's parts, its
    gates (with the rule that closed each) and how often each rule fired. A client that
    keeps this for the unedited assessment can send it back as a baseline."""
    if isinstance(plan, dict):
        return plan
    data = {k: getattr(plan, k) for k in SUMMARY_KEYS}
    data["gates"] = gates_of(plan)
    data["fired"] = fired_of(plan)
    return data


def usable_baseline(baseline, input_digest, kb):
    """``baseline`` if it is a summary of the plan for this input and knowledge base, else None."""
    if not isinstance(baseline, dict) or any(not isinstance(baseline.get(k), t) for k, t in BASELINE_TYPES.items()):
        return None
    if baseline["input_digest"] != input_digest or baseline["kb"].get("digest") != kb.digest:
        return None
    return baseline


def _regions(diff):
    return [{"id": a["id"], "label": a["label"], "from_band": a["band"], "to_band": b["band"],
             "from_mean": a["mean"], "to_mean": b["mean"],
             "from_developmental_age": a["developmental_age_years"], "to_developmental_age": b["developmental_age_years"],
             "rules": [r for r in b["rules"] if r not in a["rules"]] or b["rules"]}
            for a, b in diff.regions.changed("band", "mean", "developmental_age_years")]


def _functions(diff):
    return [{"id": f["id"], "label": f["label"], "region": f["region"], "from": a["score"], "to": f["score"],
             "from_band": a["band"], "to_band": f["band"], "rules": f["rules"]}
            for a, f in diff.functions.changed("score", "band")]


def _gate_changes(diff):
    out = [{"status": "opened", "stage": g["stage"], "by": g["by"], "band": g["band"], "until": g["until"],
            "rules": [g["rule"]]} for g in diff.gates.removed]
    out += [{"status": "closed", "stage": g["stage"], "by": g["by"], "band": g["band"], "until": g["until"],
             "rules": [g["rule"]]} for g in diff.gates.added]
    return out


def _step_changes(diff):
    now_firing = fired_of(diff.after)
    out = []
    for a, s in diff.steps.paired:
        if a is None:
            was, item = diff.was(s["activity"])
            out.append({"change": "added", "activity": s["activity"], "name": s["name"], "to_id": s["id"],
                        "to_phase": s["phase"], "was": was, "was_rules": (item or {}).get("rules", []),
                        "rules": s["rules"]})
        elif (a["id"], a["phase"]) != (s["id"], s["phase"]):
            # a step renumbered by others joining or leaving has no rules of its own to show
            rules = [r for r in s["rules"] if r not in a["rules"]] if a["phase"] != s["phase"] else []
            out.append({"change": "moved", "activity": s["activity"], "name": s["name"], "from_id": a["id"],
                        "to_id": s["id"], "from_phase": a["phase"], "to_phase": s["phase"], "rules": rules})
    for s in diff.steps.removed:
        now, item = diff.now(s["activity"])
        # what blocks it now, or, when nothing proposes it, the rules of the step that no longer fire
        rules = (item or {}).get("rules") or [r for r in s["rules"] if r not in now_firing] or s["rules"]
        out.append({"change": "removed", "activity": s["activity"], "name": s["name"], "from_id": s["id"],
                    "from_phase": s["phase"], "now": now, "rules": rules, "because": (item or {}).get("because")})
    return out


def _listed_changes(diff, key, added, removed):
    matched = getattr(diff, key)
    out = []
    for d in matched.added:
        was, _ = diff.was(d["activity"])
        out.append(dict(change=added, activity=d["activity"], name=d["name"], rules=d["rules"], was=was, now=None,
                        now_rules=[], because=d.get("because"), until=d.get("until"), fails=d.get("fails")))
    for d in matched.removed:
        now, item = diff.now(d["activity"])
        out.append(dict(change=removed, activity=d["activity"], name=d["name"], rules=d["rules"], was=None, now=now,
                        now_rules=(item or {}).get("rules", []), because=(item or {}).get("because"),
                        until=(item or {}).get("until"), fails=(item or {}).get("fails")))
    return out


def _one_changes(diff):
    out = {}
    for key in ("start", "review", "regulate_duration"):
        change = diff.value(key)
        out[key] = {"from": change[0], "to": change[1]} if change else None
    out["cautions"] = ([dict(c, change="added") for c in diff.cautions.added]
                       + [dict(c, change="removed") for c in diff.cautions.removed])
    return out


def compare(before, after, edits=()):
    """The what-if report as a dict (also the JSON output); ``before`` and ``after`` are
    plans or their ``summary``."""
    before, after = summary(before), summary(after)
    diff = plan_diff(before, after)
    now_firing, no_longer_firing = diff.firing
    report = {
        "format": WHATIF_FORMAT,
        "client": after["client"],
        "kb": after["kb"],
        "set": list(edits),
        "input_digest": {"before": before["input_digest"], "after": after["input_digest"]},
        "regions": _regions(diff),
        "functions": _functions(diff),
        "gates": _gate_changes(diff),
        "steps": _step_changes(diff),
        "deferred": _listed_changes(diff, "deferred", "deferred", "lifted"),
        "excluded": _listed_changes(diff, "excluded", "excluded", "no longer excluded"),
        "alternatives": _listed_changes(diff, "alternatives", "now an alternative", "no longer an alternative"),
        **_one_changes(diff),
        "rules": {"now_firing": now_firing, "no_longer_firing": no_longer_firing},
        "plans": {"before": outline(before["steps"]), "after": outline(after["steps"])},
    }
    keys = ("regions", "functions", "gates", "steps", "deferred", "excluded", "alternatives", "start", "review", "regulate_duration",
            "cautions")
    report["changed"] = any(report.get(k) for k in keys)
    report["reasoning_changed"] = bool(report["rules"]["now_firing"] or report["rules"]["no_longer_firing"])
    return report


def render(report, fmt="md"):
    """The what-if report as Markdown or JSON (deterministic)."""
    import json

    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    from planner import templating

    return templating.text().get_template("trainer-whatif.md.j2").render(r=report)


def plan_mapping(data, kb, source="--set"):
    """Plan an assessment mapping (the same validation and errors as a file)."""
    from planner.intake.validation import from_mapping
    from planner.plans.planning import make_plan

    return make_plan(from_mapping(data, kb, source), kb)


def whatif(path, sets, kb=None):
    """(report, plan as assessed, plan as changed) for the assessment file at ``path``."""
    from planner.intake.assessment import load_assessment
    from planner.kb.knowledge import load_knowledge_base
    from planner.plans.planning import make_plan

    kb = kb or load_knowledge_base()
    original = load_assessment(path, kb)
    return whatif_data(original.canonical, sets, kb, before=make_plan(original, kb))


def whatif_data(data, sets, kb, before=None, source="assessment", baseline=None):
    """(report, plan as given or its summary, plan as changed) for an assessment mapping;
    errors in the mapping itself name ``source``, errors made by the edits name ``--set``.
    ``baseline``: a ``summary`` of the plan for ``data`` kept by the caller; used (saving a
    plan) when it matches the input and knowledge base, ignored otherwise."""
    from planner.trainer.edits import apply_sets, edit_list, parse_sets

    if before is None and baseline is not None:
        from planner.intake.assessment import from_data

        before = usable_baseline(baseline, from_data(data, source, "", kb).digest, kb)
    before = before or plan_mapping(data, kb, source)
    edits = parse_sets(sets, kb)
    after = plan_mapping(apply_sets(data, edits), kb)
    return compare(before, after, edit_list(data, edits)), before, after


def edited_plan(data, sets, kb, source="assessment"):
    """The plan of ``data`` changed by ``sets``, without planning ``data`` itself: errors in
    the mapping name ``source``, errors made by the edits name ``--set``."""
    from planner.intake.assessment import from_data
    from planner.trainer.edits import apply_sets, parse_sets

    from_data(data, source, "", kb)     # the unedited assessment must be valid on its own
    return plan_mapping(apply_sets(data, parse_sets(sets, kb)), kb)
