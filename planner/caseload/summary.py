"""The caseload summary of a batch: ``caseload.json``, ``caseload.html`` and ``caseload.csv``.

Each planned case contributes one small row (``case_row``, computed where the plan was
made); the summary counts and lists them for a service manager. Which arousal states are
high, which relational health is low and how soon a review is "due soon" are the
knowledge base's parameters, not this module's. Overdue is relative to the date the
batch is run ``on`` (a parameter of its own, so that a summary can be reproduced).
"""
from __future__ import annotations

import datetime as _dt
import json

from planner.version import __version__

CASELOAD_FORMAT = "seqplan/caseload-1"


# The children table's columns, in order: caseload.html's table and caseload.csv's header.
TABLE_COLUMNS = ("id", "name", "age_years", "assessed_on", "arousal", "relational_health", "start_phase",
                 "review_due", "days", "review", "referrals", "plan")


def case_row(plan, filename):
    """What the caseload needs of one plan (small: it travels back from a worker)."""
    from planner.plans.planning import review_date

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
        "review_due": review_date(plan.assessed_on, plan.review),
        "services": [r["service"] for r in plan.referrals_to_consider if r["status"] == "consider"],
        "professionals": list(dict.fromkeys(tuple(r["roles"]) for r in plan.referrals)),
    }
    if "name" in plan.client:
        row["name"] = plan.client["name"]
    return row


def _count(values, order):
    counts = {key: 0 for key in order}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _review_status(days, soon_weeks):
    """A review ``days`` away: overdue, due soon (within ``soon_weeks``) or later."""
    if days is None:
        return None
    return "overdue" if days < 0 else "due_soon" if days <= soon_weeks * 7 else "later"


def _referrals(planned, kb):
    """Each child's referrals to make, in the knowledge base's words: services to consider
    (``referral_services``), then the professionals the team lacks. "An occupational
    therapist or a therapist" is left out beside "a therapist": that referral meets both."""
    from planner.kb.explain import readable_words, role_phrase

    services, words = kb.parameter_values.get("referral_services", {}), readable_words(kb)
    out = []
    for r in planned:
        wanted = [roles for roles in r["professionals"]
                  if not any(set(other) < set(roles) for other in r["professionals"])]
        out.append([services.get(s, s) for s in r["services"]] + [role_phrase(words, roles) for roles in wanted])
    return out


def summarise(planned, failed, kb, on):
    """The ``caseload.json`` content (``seqplan/caseload-1``), reviews counted from ``on``."""
    params = kb.parameter_values
    high_states = params.get("high_arousal_states", [])
    low_below = params.get("relational_health_low_below")
    soon_weeks = params["review_due_soon_weeks"]
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
    children = []
    for r, services in zip(planned, _referrals(planned, kb)):
        days = (_dt.date.fromisoformat(r["review_due"]) - on).days if r["review_due"] else None
        children.append({**{k: r[k] for k in ("id", "name", "age_years", "assessed_on", "start_phase", "start",
                                              "arousal", "relational_health", "review_due", "plan", "source")
                            if k in r},
                         "days": days, "review": _review_status(days, soon_weeks), "referrals": services})
    by_date = sorted(children, key=_table_order)
    needed = {}
    for child in children:
        for service in child["referrals"]:
            needed.setdefault(service, []).append(child["id"])
    return {
        "format": CASELOAD_FORMAT,
        "seqplan_version": __version__,
        "kb": {"name": kb.name, "version": kb.version, "digest": kb.digest},
        "on": on.isoformat(),
        "planned": len(planned),
        "failed": len(failed),
        "start_phase": start,
        "bands": bands,
        "gates": [{k: g[k] for k in ("by", "rule", "why", "count", "children")} for g in gate_list],
        "high_arousal": {"states": list(high_states), "count": len(high), "children": high},
        "low_relational_health": {"below": low_below, "count": len(low), "children": low},
        "overdue": _listed(c["id"] for c in by_date if c["review"] == "overdue"),
        "due_soon": {"weeks": soon_weeks, **_listed(c["id"] for c in by_date if c["review"] == "due_soon")},
        "referrals_needed": [{"service": service, **_listed(ids)}
                             for service, ids in sorted(needed.items(), key=lambda item: (-len(item[1]), item[0]))],
        "reviews_due": [{"date": date, "count": len(ids), "children": ids} for date, ids in sorted(due.items())],
        "reviews_due_by_month": _count((date[:7] for date in sorted(due) for _ in due[date]), []),
        "children": children,
        "failed_cases": [c.shown or c.label for c in failed],
    }


def _listed(ids):
    ids = list(ids)
    return {"count": len(ids), "children": ids}


def _table_order(child):
    """The table's order: by review date, so the most overdue come first; no date last."""
    return (child["review_due"] is None, child["review_due"] or "", child["id"], child["assessed_on"])


def table(summary):
    """The children table (``TABLE_COLUMNS``), overdue first: what caseload.html shows and
    caseload.csv holds, one row per planned case."""
    return [{column: child.get(column) for column in TABLE_COLUMNS} for child in sorted(summary["children"],
                                                                                      key=_table_order)]


def csv_table(rows):
    """caseload.csv: the table's columns as its header, a list cell joined with "; "."""
    from planner.outputs.spreadsheet import csv_text

    return csv_text(TABLE_COLUMNS, ({k: "; ".join(v) if isinstance(v, list) else v for k, v in row.items()}
                                    for row in rows))


def write_summaries(outdir, planned, failed, kb, on):
    """Write ``caseload.json``, ``caseload.html`` and ``caseload.csv`` into ``outdir``
    (atomically), reviews counted from the date ``on``."""
    from planner.files import write_new

    summary = summarise(planned, failed, kb, on)
    rows = table(summary)
    write_new(outdir / "caseload.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    write_new(outdir / "caseload.csv", csv_table(rows))
    write_new(outdir / "caseload.html", render_html(summary, rows, kb))
    return summary


def _bars(counts, width=360, bar=18, gap=6, label_width=150):
    """Geometry of a horizontal bar chart: [(key, count, y, length)], and the chart height."""
    top = max(counts.values(), default=0) or 1
    rows = [(key, n, i * (bar + gap), round(width * n / top, 1)) for i, (key, n) in enumerate(counts.items())]
    return {"rows": rows, "height": len(rows) * (bar + gap), "bar": bar, "width": width, "label_width": label_width}


def render_html(summary, rows, kb):
    """``caseload.html``: self-contained and printable, inline SVG charts, fetches nothing;
    the table in ``rows``' order, sortable by a small inline script."""
    from planner import templating

    return templating.html().get_template("caseload.html.j2").render(
        s=summary, rows=rows, columns=TABLE_COLUMNS, label=kb.label, bars=_bars,
        names={c["id"]: c.get("name") for c in summary["children"]},
        arousal_order=kb.parameter_values["arousal_states_order"], phase_order=list(kb.phases),
        band_charts={region: _bars(counts) for region, counts in summary["bands"].items()},
        start_chart=_bars(summary["start_phase"]),
        review_chart=_bars(summary["reviews_due_by_month"]))
