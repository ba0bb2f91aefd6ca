"""What-if: plan an assessment as it is and as changed, and say what changed and which
rules made each difference. The comparison is data; templates/trainer-whatif.md.j2 words it."""
from __future__ import annotations

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
    ev = plan.evaluation
    fired = {}
    for firing in ev.trace:
        fired[firing.rule] = fired.get(firing.rule, 0) + 1
    data = {k: getattr(plan, k) for k in SUMMARY_KEYS}
    data["gates"] = [{"stage": f["stage"], "by": f["by"], "band": f["band"], "until": f["until"],
                      "rule": ev.trace[ev.producers[f["id"]]].rule} for f in ev.of_kind("gate")]
    data["fired"] = fired
    return data


def usable_baseline(baseline, input_digest, kb):
    """``baseline`` if it is a summary of the plan for this input and knowledge base, else None."""
    if not isinstance(baseline, dict) or any(not isinstance(baseline.get(k), t) for k, t in BASELINE_TYPES.items()):
        return None
    if baseline["input_digest"] != input_digest or baseline["kb"].get("digest") != kb.digest:
        return None
    return baseline


def _gates(plan):
    return {(g["stage"], g["by"]): g for g in plan.gates}


def _fired(plan):
    return plan.fired


def _status(plan, activity):
    """Where ``activity`` is in ``plan``: (status, item or None)."""
    for key, status in (("steps", "step"), ("alternatives", "alternative"), ("deferred", "deferred"),
                        ("excluded", "excluded")):
        for item in getattr(plan, key):
            if item["activity"] == activity:
                return status, item
    return "not proposed", None


def _without(item, *keys):
    return None if item is None else {k: v for k, v in item.items() if k not in keys}


def _regions(before, after):
    out = []
    for a, b in zip(before.regions, after.regions):
        if (a["band"], a["mean"], a["developmental_age_years"]) != (b["band"], b["mean"], b["developmental_age_years"]):
            out.append({"id": a["id"], "label": a["label"], "from_band": a["band"], "to_band": b["band"],
                        "from_mean": a["mean"], "to_mean": b["mean"],
                        "from_developmental_age": a["developmental_age_years"],
                        "to_developmental_age": b["developmental_age_years"],
                        "rules": [r for r in b["rules"] if r not in a["rules"]] or b["rules"]})
    return out


def _functions(before, after):
    old = {f["id"]: f for r in before.regions for f in r["functions"]}
    out = []
    for r in after.regions:
        for f in r["functions"]:
            a = old[f["id"]]
            if (a["score"], a["band"]) != (f["score"], f["band"]):
                out.append({"id": f["id"], "label": f["label"], "region": r["id"], "from": a["score"],
                            "to": f["score"], "from_band": a["band"], "to_band": f["band"], "rules": f["rules"]})
    return out


def _gate_changes(before, after):
    old, new = _gates(before), _gates(after)
    out = [{"status": "opened", "stage": k[0], "by": k[1], "band": old[k]["band"], "until": old[k]["until"],
            "rules": [old[k]["rule"]]} for k in sorted(set(old) - set(new))]
    out += [{"status": "closed", "stage": k[0], "by": k[1], "band": new[k]["band"], "until": new[k]["until"],
             "rules": [new[k]["rule"]]} for k in sorted(set(new) - set(old))]
    return out


def _step_changes(before, after, fired_after):
    old = {s["activity"]: s for s in before.steps}
    new = {s["activity"]: s for s in after.steps}
    out = []
    for s in after.steps:
        a = old.get(s["activity"])
        if a is None:
            was, item = _status(before, s["activity"])
            out.append({"change": "added", "activity": s["activity"], "name": s["name"], "to_id": s["id"],
                        "to_phase": s["phase"], "was": was, "was_rules": (item or {}).get("rules", []),
                        "rules": s["rules"]})
        elif (a["id"], a["phase"]) != (s["id"], s["phase"]):
            # a step renumbered by others joining or leaving has no rules of its own to show
            rules = [r for r in s["rules"] if r not in a["rules"]] if a["phase"] != s["phase"] else []
            out.append({"change": "moved", "activity": s["activity"], "name": s["name"], "from_id": a["id"],
                        "to_id": s["id"], "from_phase": a["phase"], "to_phase": s["phase"], "rules": rules})
    for s in before.steps:
        if s["activity"] not in new:
            now, item = _status(after, s["activity"])
            # what blocks it now, or, when nothing proposes it, the rules of the step that no longer fire
            rules = (item or {}).get("rules") or [r for r in s["rules"] if r not in fired_after] or s["rules"]
            out.append({"change": "removed", "activity": s["activity"], "name": s["name"], "from_id": s["id"],
                        "from_phase": s["phase"], "now": now, "rules": rules,
                        "because": (item or {}).get("because")})
    return out


def _listed_changes(before, after, key, added, removed):
    old = {d["activity"]: d for d in getattr(before, key)}
    new = {d["activity"]: d for d in getattr(after, key)}
    out = []
    for activity, d in new.items():
        if activity not in old:
            was, _ = _status(before, activity)
            out.append(dict(change=added, activity=activity, name=d["name"], rules=d["rules"], was=was, now=None,
                            now_rules=[], because=d.get("because"), until=d.get("until"), fails=d.get("fails")))
    for activity, d in old.items():
        if activity not in new:
            now, item = _status(after, activity)
            out.append(dict(change=removed, activity=activity, name=d["name"], rules=d["rules"], was=None, now=now,
                            now_rules=(item or {}).get("rules", []), because=(item or {}).get("because"),
                            until=(item or {}).get("until"), fails=(item or {}).get("fails")))
    return out


def _keyed(items, key):
    return {i[key]: i for i in items}


def _one_changes(before, after):
    out = {}
    for key in ("start", "review", "regulate_duration"):
        a, b = getattr(before, key), getattr(after, key)
        out[key] = {"from": a, "to": b} if a != b else None
    cautions_a, cautions_b = _keyed(before.cautions, "caution"), _keyed(after.cautions, "caution")
    out["cautions"] = ([dict(c, change="added") for k, c in cautions_b.items() if k not in cautions_a]
                       + [dict(c, change="removed") for k, c in cautions_a.items() if k not in cautions_b])
    return out


def compare(before, after, edits=()):
    """The what-if report as a dict (also the JSON output); ``before`` and ``after`` are
    plans or their ``summary``."""
    from types import SimpleNamespace

    before, after = SimpleNamespace(**summary(before)), SimpleNamespace(**summary(after))
    fired_a, fired_b = _fired(before), _fired(after)
    report = {
        "format": WHATIF_FORMAT,
        "client": after.client,
        "kb": after.kb,
        "set": list(edits),
        "input_digest": {"before": before.input_digest, "after": after.input_digest},
        "regions": _regions(before, after),
        "functions": _functions(before, after),
        "gates": _gate_changes(before, after),
        "steps": _step_changes(before, after, fired_b),
        "deferred": _listed_changes(before, after, "deferred", "deferred", "lifted"),
        "excluded": _listed_changes(before, after, "excluded", "excluded", "no longer excluded"),
        "alternatives": _listed_changes(before, after, "alternatives", "now an alternative", "no longer an alternative"),
        **_one_changes(before, after),
        "rules": {"now_firing": sorted(r for r in fired_b if r not in fired_a),
                  "no_longer_firing": sorted(r for r in fired_a if r not in fired_b)},
        "plans": {"before": [f"{s['id']} {s['phase']}: {s['name']}" for s in before.steps],
                  "after": [f"{s['id']} {s['phase']}: {s['name']}" for s in after.steps]},
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
