"""Outcomes: compare two assessments of the same client, map against map, plan against plan."""
from __future__ import annotations

from planner.errors import InputError

PROGRESS_FORMAT = "seqplan/progress-1"


def _direction(kb, before, after):
    order = {band: b["order"] for band, b in kb.bands.items()}
    if before == after or before not in order or after not in order:
        return "same" if before == after else "not comparable"
    return "better" if order[after] > order[before] else "worse"


def _change(before, after):
    return None if before is None or after is None else round(after - before, 2)


def compare(old, new, old_plan, new_plan, kb):
    """The progress report as a dict (also the JSON output)."""
    from planner.plans.diff import outline, plan_diff

    diff = plan_diff(old_plan, new_plan)
    functions = []
    for fid in kb.functions:
        a, b = diff.functions.before[fid], diff.functions.after[fid]
        functions.append({"id": fid, "label": a["label"], "region": kb.functions[fid]["region"],
                          "old": a["score"], "new": b["score"], "change": _change(a["score"], b["score"]),
                          "old_band": a["band"], "new_band": b["band"],
                          "direction": _direction(kb, a["band"], b["band"])})
    regions = []
    for a, b in diff.regions.kept:
        regions.append({"id": a["id"], "label": a["label"], "old_mean": a["mean"], "new_mean": b["mean"],
                        "change": _change(a["mean"], b["mean"]), "old_band": a["band"], "new_band": b["band"],
                        "direction": _direction(kb, a["band"], b["band"]),
                        "old_developmental_age": a["developmental_age_years"],
                        "new_developmental_age": b["developmental_age_years"]})
    gates = [{"stage": g["stage"], "by": g["by"], "status": "opened", "was": g["band"], "until": g["until"]}
             for g in diff.gates.removed]
    gates += [{"stage": g["stage"], "by": g["by"], "status": "closed", "now": g["band"], "until": g["until"]}
              for g in diff.gates.added]
    gates += [{"stage": g["stage"], "by": g["by"], "status": "still closed", "now": g["band"], "until": g["until"]}
              for _, g in diff.gates.kept]
    plan_changes = (
        [{"change": "added", "activity": s["activity"], "name": s["name"], "phase": s["phase"], "id": s["id"]}
         for s in diff.steps.added]
        + [{"change": "removed", "activity": s["activity"], "name": s["name"], "phase": s["phase"], "id": s["id"]}
           for s in diff.steps.removed]
        + [{"change": "moved", "activity": s["activity"], "name": s["name"], "from": a["phase"], "phase": s["phase"],
            "id": s["id"]} for a, s in diff.steps.changed("phase")]
    )
    return {
        "format": PROGRESS_FORMAT,
        "client": new_plan.client,
        "old": {"assessed_on": old.assessed_on, "input_digest": old_plan.input_digest, "start": old_plan.start},
        "new": {"assessed_on": new.assessed_on, "input_digest": new_plan.input_digest, "start": new_plan.start},
        "kb": new_plan.kb,
        "regions": regions,
        "functions": functions,
        "gates": gates,
        "plan_changes": plan_changes,
        "steps": {"old": outline(old_plan.steps), "new": outline(new_plan.steps)},
    }


def _interval(old, new, old_plan, new_plan, kb):
    """What changed between two consecutive assessments: band transitions, gates, plan changes."""
    report = compare(old, new, old_plan, new_plan, kb)
    return {"from": old.assessed_on, "to": new.assessed_on,
            "transitions": [r for r in report["regions"] if r["old_band"] != r["new_band"]],
            "gates": [g for g in report["gates"] if g["status"] != "still closed"],
            "still_closed": [g for g in report["gates"] if g["status"] == "still closed"],
            "plan_changes": report["plan_changes"], "steps": report["steps"],
            # the earlier plan's objectives scored at the later assessment (brief section 23)
            "objectives": new_plan.attainment}


def _point(assessment, plan):
    return {"assessed_on": assessment.assessed_on, "input_digest": plan.input_digest,   # of the redacted input with --redact
            "relational_health": assessment.relational_health, "arousal": assessment.arousal,
            "steps": len(plan.steps), "daily_minutes": plan.daily_time["minutes"] if plan.daily_time else None,
            "stepping_down": bool(plan.step_down),
            "regions": [{"id": r["id"], "label": r["label"], "mean": r["mean"], "band": r["band"]}
                        for r in plan.regions]}


def series(paths, kb_dir=None, redact=False):
    """(report dict, plans) for two or more assessment files of one client, taken in date order.
    The report compares the first with the last (the ``seqplan/progress-1`` keys) and adds
    ``series``: every assessment's region means and relational health, and what changed
    between each consecutive pair."""
    from planner.intake.assessment import load_assessment
    from planner.kb.knowledge import load_knowledge_base
    from planner.plans.planning import make_plan

    if len(paths) < 2:
        raise InputError("seqplan progress", "FILE", "needs at least two assessments",
                         "pass two or more assessments of one client, in any order: seqplan progress OLD NEW [LATER...]")
    kb = load_knowledge_base(kb_dir)
    # in date order, whatever order they were given in (a shell glob sorts by file name)
    loaded = sorted(((load_assessment(path, kb), path) for path in paths), key=lambda pair: pair[0].assessed_on)
    assessments, paths = [a for a, _ in loaded], [p for _, p in loaded]
    first = assessments[0]
    for path, previous_path, a, previous in zip(paths[1:], paths, assessments[1:], assessments):
        if a.client_id != first.client_id:
            raise InputError(path, "client.id", f"is '{a.client_id}', but {paths[0]} is for '{first.client_id}'",
                             "compare assessments of the same client")
        if a.assessed_on == previous.assessed_on:
            raise InputError(path, "assessed_on", f"{a.assessed_on} is also the date of {previous_path}",
                             "pass one assessment per date")
    # Each later assessment is planned knowing the one before (unless its file names its own
    # `previous`), so the plan can step down when the child improved (brief section 22).
    assessments = assessments[:1] + [a if a.previous else a.following(b) for b, a in zip(assessments, assessments[1:])]
    plans = [make_plan(a, kb, redact=redact) for a in assessments]
    report = compare(first, assessments[-1], plans[0], plans[-1], kb)
    withheld = [w for w in ("name", "assessor", "notes") if any(w in p.redacted for p in plans)]
    if withheld:
        report["redacted"] = withheld
    report["objectives"] = plans[-1].attainment
    report["series"] = {
        "assessments": [_point(a, p) for a, p in zip(assessments, plans)],
        "intervals": [_interval(a, b, pa, pb, kb)
                      for a, b, pa, pb in zip(assessments, assessments[1:], plans, plans[1:])],
    }
    return report, plans


def progress(old_path, new_path, kb_dir=None, redact=False):
    """(report dict, old plan, new plan) for two assessment files of one client."""
    report, plans = series([old_path, new_path], kb_dir, redact)
    return report, plans[0], plans[-1]


def trend_chart(report, scale_max, width=700, height=260, left=48, right=200, top=16, bottom=40):
    """Geometry of the trend chart (numbers only; templates/trend.svg.j2 draws and words it):
    x by date (days apart), y the 0..scale_max rating scale; one line per region and one for
    relational health, each point with its value (None where not rated)."""
    from datetime import date

    points = report["series"]["assessments"]
    days = [date.fromisoformat(str(p["assessed_on"])).toordinal() for p in points]
    span = max(days[-1] - days[0], 1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day):
        return round(left + (day - days[0]) / span * plot_w, 1)

    def y(value):
        return round(top + (1 - value / scale_max) * plot_h, 1)

    lines = []
    for i, region in enumerate(points[0]["regions"]):
        values = [p["regions"][i]["mean"] for p in points]
        lines.append({"id": region["id"], "label": region["label"], "values": values})
    lines.append({"id": "relational_health", "label": None, "values": [p["relational_health"] for p in points]})
    for line in lines:
        line["points"] = [{"x": x(d), "y": y(v), "value": v} for d, v in zip(days, line["values"]) if v is not None]
        line["path"] = " ".join(f"{pt['x']},{pt['y']}" for pt in line["points"])
    labelled = sorted((line for line in lines if line["points"]), key=lambda line: line["points"][-1]["y"])
    previous = None
    for line in labelled:        # end labels beside the last point, at least 13 units apart
        wanted = line["points"][-1]["y"] + 4
        line["label_y"] = wanted if previous is None else max(wanted, previous + 13)
        previous = line["label_y"]
    ticks = [{"value": v, "y": y(v)} for v in range(0, scale_max + 1, 3 if scale_max >= 9 else 1)]
    dates = [{"label": str(p["assessed_on"]), "x": x(d)} for p, d in zip(points, days)]
    return {"width": width, "height": height, "left": left, "right": width - right, "top": top,
            "bottom": height - bottom, "lines": lines, "ticks": ticks, "dates": dates}
