"""Outcomes: compare two assessments of the same client, map against map, plan against plan."""
from __future__ import annotations

from .errors import InputError

PROGRESS_FORMAT = "seqplan/progress-1"


def _direction(kb, before, after):
    order = {band: b["order"] for band, b in kb.bands.items()}
    if before == after or before not in order or after not in order:
        return "same" if before == after else "not comparable"
    return "better" if order[after] > order[before] else "worse"


def _change(before, after):
    return None if before is None or after is None else round(after - before, 2)


def _gates(plan):
    return {(f["stage"], f["by"]): f for f in plan.facts.values() if f["kind"] == "gate"}


def compare(old, new, old_plan, new_plan, kb):
    """The progress report as a dict (also the JSON output)."""
    functions = []
    old_f = {f["id"]: f for r in old_plan.regions for f in r["functions"]}
    new_f = {f["id"]: f for r in new_plan.regions for f in r["functions"]}
    for fid in kb.functions:
        a, b = old_f[fid], new_f[fid]
        functions.append({"id": fid, "label": a["label"], "region": kb.functions[fid]["region"],
                          "old": a["score"], "new": b["score"], "change": _change(a["score"], b["score"]),
                          "old_band": a["band"], "new_band": b["band"],
                          "direction": _direction(kb, a["band"], b["band"])})
    regions = []
    for a, b in zip(old_plan.regions, new_plan.regions):
        regions.append({"id": a["id"], "label": a["label"], "old_mean": a["mean"], "new_mean": b["mean"],
                        "change": _change(a["mean"], b["mean"]), "old_band": a["band"], "new_band": b["band"],
                        "direction": _direction(kb, a["band"], b["band"]),
                        "old_developmental_age": a["developmental_age_years"],
                        "new_developmental_age": b["developmental_age_years"]})
    old_gates, new_gates = _gates(old_plan), _gates(new_plan)
    gates = [{"stage": k[0], "by": k[1], "status": "opened", "was": old_gates[k]["band"], "until": old_gates[k]["until"]}
             for k in sorted(set(old_gates) - set(new_gates))]
    gates += [{"stage": k[0], "by": k[1], "status": "closed", "now": new_gates[k]["band"], "until": new_gates[k]["until"]}
              for k in sorted(set(new_gates) - set(old_gates))]
    gates += [{"stage": k[0], "by": k[1], "status": "still closed", "now": new_gates[k]["band"],
               "until": new_gates[k]["until"]} for k in sorted(set(new_gates) & set(old_gates))]
    old_steps = {s["activity"]: s for s in old_plan.steps}
    new_steps = {s["activity"]: s for s in new_plan.steps}
    plan_changes = (
        [{"change": "added", "activity": a, "name": s["name"], "phase": s["phase"], "id": s["id"]}
         for a, s in new_steps.items() if a not in old_steps]
        + [{"change": "removed", "activity": a, "name": s["name"], "phase": s["phase"], "id": s["id"]}
           for a, s in old_steps.items() if a not in new_steps]
        + [{"change": "moved", "activity": a, "name": s["name"], "from": old_steps[a]["phase"], "phase": s["phase"],
            "id": s["id"]} for a, s in new_steps.items() if a in old_steps and old_steps[a]["phase"] != s["phase"]]
    )
    return {
        "format": PROGRESS_FORMAT,
        "client": new_plan.client,
        "old": {"assessed_on": old.assessed_on, "input_digest": old.digest, "start": old_plan.start},
        "new": {"assessed_on": new.assessed_on, "input_digest": new.digest, "start": new_plan.start},
        "kb": new_plan.kb,
        "regions": regions,
        "functions": functions,
        "gates": gates,
        "plan_changes": plan_changes,
        "steps": {"old": [f"{s['id']} {s['phase']}: {s['name']}" for s in old_plan.steps],
                  "new": [f"{s['id']} {s['phase']}: {s['name']}" for s in new_plan.steps]},
    }


def progress(old_path, new_path, kb_dir=None, redact=False):
    """(report dict, old plan, new plan) for two assessment files of one client."""
    from .assessment import load_assessment
    from .knowledge import load_knowledge_base
    from .planning import make_plan

    kb = load_knowledge_base(kb_dir)
    old, new = load_assessment(old_path, kb), load_assessment(new_path, kb)
    if old.client_id != new.client_id:
        raise InputError(new_path, "client.id", f"is '{new.client_id}', but {old_path} is for '{old.client_id}'",
                         "compare two assessments of the same client")
    if new.assessed_on <= old.assessed_on:
        raise InputError(new_path, "assessed_on", f"{new.assessed_on} is not later than {old.assessed_on} in {old_path}",
                         "pass the earlier assessment first: seqplan progress OLD NEW")
    old_plan, new_plan = make_plan(old, kb, redact=redact), make_plan(new, kb, redact=redact)
    return compare(old, new, old_plan, new_plan, kb), old_plan, new_plan
