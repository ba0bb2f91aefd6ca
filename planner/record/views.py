"""Reading the case record back for people: a child's timeline, the reviews due, an export,
and a stored plan printed with the clinician's decisions. Words live in
templates/record-*.j2; this module only gathers."""
from __future__ import annotations

import json

from planner.record.db import RecordError
from planner.record.store import label


def timeline(record, child_ref, by=None):
    """The child's record in time order, as entries a template prints: assessments, plans
    (status, review due, first steps), decisions, signatures, voids, and at each plan the
    previous plan's objectives as scored then."""
    from planner.record.decisions import codes

    data = record.child_record(child_ref, by, purpose="show")
    table = codes(record.kb)
    entries = []
    for a in data["assessments"]:
        entries.append({"at": a["added_at"], "id": label("assessment", a["id"]), "kind": "assessment", "row": a})
    for p in data["plans"]:
        plan = json.loads(p["plan_json"])
        entries.append({"at": p["created_at"], "id": label("plan", p["id"]), "kind": "plan", "row": p,
                        "assessment": label("assessment", p["assessment_id"]),
                        "previous": label("assessment", p["previous_id"]) if p["previous_id"] else None,
                        "steps": plan["steps"], "attainment": plan.get("attainment", []),
                        "objectives": plan.get("objectives", [])})
    for d in data["decisions"]:
        reason = table["reasons"].get(d["reason"]) if d["reason"] else None
        entries.append({"at": d["at"], "id": label("decision", d["id"]), "kind": "decision", "row": d,
                        "plan": label("plan", d["plan_id"]), "action": table["actions"][d["action"]]["label"],
                        "name": record.kb.activities.get(d["activity"], {}).get("name", d["activity"]),
                        "reason": reason["label"] if reason else None})
    for s in data["signatures"]:
        entries.append({"at": s["at"], "id": label("signature", s["id"]), "kind": "signature", "row": s,
                        "plan": label("plan", s["plan_id"]), "role": table["roles"].get(s["role"], s["role"])})
    entries.sort(key=lambda e: (e["at"], "capdsv".index(e["kind"][0]) if e["kind"][0] in "capdsv" else 9, e["id"]))
    return {"child": child_ref, "entries": entries,
            "current": next((p for p in reversed(data["plans"]) if p["status"] == "signed"),
                            next((p for p in reversed(data["plans"]) if p["status"] == "draft"), None))}


def printed(record, plan_ref, fmt="md", audience="therapist", reader=None, by=None):
    """A stored plan rendered (md, html or json; or the handout for ``reader``) with the
    clinician's decisions and signature laid over the snapshot. A signed plan whose
    decisions no longer match what was signed is refused: `record verify` says why."""
    from planner.outputs.render import render_handout, render_plan
    from planner.plans.plan import Plan

    _row, data = decided_plan(record, plan_ref, by, purpose=f"print {reader or fmt}")
    plan = Plan.stored(data, record.kb)
    if reader:
        return render_handout(plan, reader, fmt)
    return render_plan(plan, fmt, audience)


def decided_plan(record, plan_ref, by=None, purpose="print"):
    """(plan row, the stored plan as a dict with the decisions and the signature laid over
    it): an audited read, refused if a signed plan's decisions are not those signed."""
    from planner.record.decisions import codes, decided

    row, decisions, signature, _child = record.stored_plan(plan_ref, by, purpose=purpose)
    signed = None
    if signature is not None:
        with record.engine.connect() as conn:
            if record.signed_digest(conn, row) != signature.digest:
                raise RecordError(f"{label('plan', row.id)}: its decisions are not those that were signed "
                                  "(the record was changed around seqplan: run `seqplan record verify`)")
        signed = {"by": signature.by, "role": signature.role, "at": signature.at, "digest": signature.digest,
                  "role_label": codes(record.kb)["roles"].get(signature.role, signature.role)}
    return row, decided(json.loads(row.plan_json), [dict(d._mapping) for d in decisions], signed, record.kb)


def current_plan(record, child_ref, by=None):
    """The child's current plan id: the latest signed, else the latest draft (an audited read)."""
    current = timeline(record, child_ref, by)["current"]
    if current is None:
        raise RecordError(f"{child_ref}: has no plan yet (make one with `seqplan record plan {child_ref}`)")
    return current["id"]


def export(record, child_ref, by=None, redact=False):
    """Everything stored about one child as JSON (``seqplan/record-1``). ``redact`` leaves out
    the name, the assessor and the notes, from the assessments and from the plans (each
    plan is then the redacted plan of the same input, as `plan --redact` makes it)."""
    from planner.plans.planning import make_plan
    from planner.outputs.render import render_plan

    data = record.child_record(child_ref, by, purpose="export redacted" if redact else "export")
    assessments = {a["id"]: a for a in data["assessments"]}
    out = {"format": "seqplan/record-1", "child": child_ref, "redacted": redact, "assessments": [], "plans": [],
           "decisions": [_public(d) for d in data["decisions"]], "signatures": [_public(s) for s in data["signatures"]]}
    for a in data["assessments"]:
        canonical = json.loads(a["canonical"])
        if redact:
            canonical = record.assessment_of(_Row(a)).redacted()[0].canonical
        out["assessments"].append(dict(_public(a, skip=("canonical", "assessor") if redact else ("canonical",)),
                                       input=canonical))
    for p in data["plans"]:
        entry = _public(p, skip=("plan_json",))
        if redact:
            assessment = record.assessment_of(_Row(assessments[p["assessment_id"]]))
            if p["previous_id"]:
                assessment = assessment.following(record.assessment_of(_Row(assessments[p["previous_id"]])))
            entry["plan"] = json.loads(render_plan(make_plan(assessment, record.kb, redact=True), "json"))
        else:
            entry["plan"] = json.loads(p["plan_json"])
        out["plans"].append(entry)
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def _public(row, skip=()):
    return {k: v for k, v in row.items() if k not in skip}


class _Row:
    """A stored row given as a mapping, read by attribute (as ``Record.assessment_of`` reads rows)."""

    def __init__(self, mapping):
        self.__dict__.update(mapping)
