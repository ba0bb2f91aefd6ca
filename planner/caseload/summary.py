"""The caseload summary of a batch: ``caseload.json`` and ``caseload.html``.

Each planned case contributes one small row (``case_row``, computed where the plan was
made); the summary counts them. Which arousal states are high and which relational
health is low are the knowledge base's parameters, not this module's.
"""
from __future__ import annotations

import datetime as _dt
import json

from planner import __version__

CASELOAD_FORMAT = "seqplan/caseload-1"


def _review_due(assessed_on, weeks):
    if weeks is None:
        return None
    return (_dt.date.fromisoformat(assessed_on) + _dt.timedelta(weeks=weeks)).isoformat()


def case_row(plan, filename):
    """What the caseload needs of one plan (small: it travels back from a worker)."""
    gates = []
    for item in plan.deferred:
        for gate in item["gates"]:
            key = [gate["by"], gate["rule"]]
            if key not in gates:
                gates.append(key)
    review = plan.review or {}
    row = {
        "id": plan.client["id"],
        "age_years": plan.client["age_years"],
        "assessed_on": plan.assessed_on,
        "plan": filename,
        "start_phase": plan.steps[0]["phase"] if plan.steps else None,
        "start": {k: v for k, v in (plan.start or {}).items() if k in ("region", "band", "state")},
        "bands": {r["id"]: r["band"] for r in plan.regions},
        "gates": gates,
        "arousal": plan.state.get("arousal"),
        "relational_health": plan.state.get("relational_health"),
        "review_weeks": review.get("weeks"),
        "review_due": _review_due(plan.assessed_on, review.get("weeks")),
    }
    if "name" in plan.client:
        row["name"] = plan.client["name"]
    return row


def _count(values, order):
    counts = {key: 0 for key in order}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def summarise(planned, failed, kb):
    """The ``caseload.json`` content (``seqplan/caseload-1``)."""
    params = kb.parameter_values
    high_states = params.get("high_arousal_states", [])
    low_below = params.get("relational_health_low_below")
    phases = list(kb.phases)
    start = _count((r["start_phase"] or "none" for r in planned), phases)
    bands = {region: _count((r["bands"].get(region, "unjudged") for r in planned), list(kb.bands))
             for region in kb.regions}
    gates = {}
    for r in planned:
        for by, rule in r["gates"]:
            entry = gates.setdefault((by, rule), {"by": by, "rule": rule, "why": kb.rules[rule]["title"],
                                                 "children": []})
            entry["children"].append(r["id"])
    gate_list = sorted(gates.values(), key=lambda g: (-len(g["children"]), g["rule"], g["by"]))
    for gate in gate_list:
        gate["count"] = len(gate["children"])
    high = [r["id"] for r in planned if r["arousal"] in high_states]
    low = [r["id"] for r in planned
           if low_below is not None and r["relational_health"] is not None and r["relational_health"] < low_below]
    due = {}
    for r in planned:
        if r["review_due"]:
            due.setdefault(r["review_due"], []).append(r["id"])
    return {
        "format": CASELOAD_FORMAT,
        "seqplan_version": __version__,
        "kb": {"name": kb.name, "version": kb.version, "digest": kb.digest},
        "planned": len(planned),
        "failed": len(failed),
        "start_phase": start,
        "bands": bands,
        "gates": [{k: g[k] for k in ("by", "rule", "why", "count", "children")} for g in gate_list],
        "high_arousal": {"states": list(high_states), "count": len(high), "children": high},
        "low_relational_health": {"below": low_below, "count": len(low), "children": low},
        "reviews_due": [{"date": date, "count": len(ids), "children": ids} for date, ids in sorted(due.items())],
        "reviews_due_by_month": _count((date[:7] for date in sorted(due) for _ in due[date]), []),
        "children": [{k: r[k] for k in ("id", "name", "age_years", "assessed_on", "start_phase", "start",
                                        "arousal", "relational_health", "review_due", "plan", "source") if k in r}
                     for r in planned],
        "failed_cases": [c.shown or c.label for c in failed],
    }


def write_summaries(outdir, planned, failed, kb, fmt):
    """Write ``caseload.json`` and ``caseload.html`` into ``outdir`` (atomically)."""
    from planner.caseload.batch import write_atomic

    summary = summarise(planned, failed, kb)
    write_atomic(outdir / "caseload.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    write_atomic(outdir / "caseload.html", render_html(summary, kb))
    return summary


def _bars(counts, width=360, bar=18, gap=6, label_width=150):
    """Geometry of a horizontal bar chart: [(key, count, y, length)], and the chart height."""
    top = max(counts.values(), default=0) or 1
    rows = [(key, n, i * (bar + gap), round(width * n / top, 1)) for i, (key, n) in enumerate(counts.items())]
    return {"rows": rows, "height": len(rows) * (bar + gap), "bar": bar, "width": width, "label_width": label_width}


def render_html(summary, kb):
    """``caseload.html``: self-contained and printable, inline SVG charts, fetches nothing."""
    from planner.outputs.render import template_environment

    env = template_environment(autoescape=True)
    return env.get_template("caseload.html.j2").render(
        s=summary, label=kb.label, bars=_bars,
        band_charts={region: _bars(counts) for region, counts in summary["bands"].items()},
        start_chart=_bars(summary["start_phase"]),
        review_chart=_bars(summary["reviews_due_by_month"]))
