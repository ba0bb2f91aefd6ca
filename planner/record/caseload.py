"""A clinician's caseload: which children a user may see, the table of them (last
assessment, current plan, review due, state), filters and sorting, assignments of a child to
a clinician, and a child's audit events. Every read is an audit event, as in store.py."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import or_, select

from planner.record import tables as t
from planner.record.store import current_plans, label, now, who
from planner.record.users import Forbidden, require, rights

# The caseload table's columns, in order: the CSV download's header and the sort keys.
COLUMNS = ("child", "name", "last_assessed", "plan", "status", "review_due", "days", "arousal",
           "relational_health", "referrals", "clinicians")
FILTERS = ("overdue", "due", "high_arousal", "low_relational", "referrals")


def _assigned(conn):
    """{child id: [clinicians]}: each child's live assignments (the latest row per pair counts)."""
    latest = {}
    for row in conn.execute(select(t.assignment).order_by(t.assignment.c.id)):
        latest[(row.child_id, row.clinician)] = row.action
    out = {}
    for (child_id, clinician), action in sorted(latest.items()):
        if action == "assign":
            out.setdefault(child_id, []).append(clinician)
    return out


def visible(conn, user):
    """The ids of the children ``user`` may see (``rights(user)["children"]``)."""
    scope = rights(user)["children"]
    if scope is None:
        return set()
    query = select(t.child.c.id)
    if scope == "own":
        mine = [c for c, names in _assigned(conn).items() if user["name"] in names]
        query = query.where(or_(t.child.c.added_by == user["name"], t.child.c.id.in_(mine)))
    return set(conn.execute(query).scalars())


def check_child(record, user, action, child_ref):
    """Refuse unless ``user`` may do ``action`` to the child (its role, and its caseload).
    The same answer for a child that does not exist and one that is not theirs."""
    require(user, action)
    with record.engine.connect() as conn:
        ident = conn.execute(select(t.child.c.id).where(t.child.c.ref == child_ref)).scalar()
        if ident is not None and ident in visible(conn, user):
            return
    raise Forbidden(f"{child_ref}: not on {user['name']}'s caseload")


def child_exists(record, child_ref):
    with record.engine.connect() as conn:
        return conn.execute(select(t.child.c.id).where(t.child.c.ref == child_ref)).scalar() is not None


def child_of_plan(record, plan_ref):
    """The child a plan is of (no read of the record: for checking access before reading)."""
    from planner.record.store import parse_id

    with record.engine.connect() as conn:
        ref = conn.execute(select(t.child.c.ref).join(t.plan, t.plan.c.child_id == t.child.c.id)
                           .where(t.plan.c.id == parse_id("plan", plan_ref))).scalar()
    if ref is None:
        raise Forbidden(f"{plan_ref}: no such plan on your caseload")
    return ref


def caseload(record, user, today=None, weeks=None, only=(), sort="review_due", descending=False):
    """The rows of the user's caseload (an audited read): one per child, overdue first unless
    ``sort`` names another column; ``only`` keeps the rows every named filter (FILTERS)
    matches, ``weeks`` is the horizon of the "due" filter (default: the knowledge base's
    review_due_soon_weeks, as in a batch's caseload summary)."""
    require(user, "read")
    today = today or dt.date.today()
    params = record.kb.parameter_values
    weeks = params["review_due_soon_weeks"] if weeks is None else weeks
    with record._write() as conn:
        record._event(conn, who(user["name"]), "read", None, "caseload", None, {"purpose": "caseload"})
        ids = visible(conn, user)
        children = {r.id: r.ref for r in conn.execute(select(t.child.c.id, t.child.c.ref)) if r.id in ids}
        voided = {(v.kind, v.target_id) for v in conn.execute(select(t.void.c.kind, t.void.c.target_id))}
        latest = {}
        for a in conn.execute(select(t.assessment.c.id, t.assessment.c.child_id, t.assessment.c.assessed_on,
                                     t.assessment.c.canonical).order_by(t.assessment.c.assessed_on, t.assessment.c.id)):
            if a.child_id in children and ("assessment", a.id) not in voided:
                latest[a.child_id] = a
        plans = [dict(r._mapping) for r in conn.execute(select(t.plan.c.id, t.plan.c.child_id, t.plan.c.review_due)
                                                          .order_by(t.plan.c.id))
                 if r.child_id in children and ("plan", r.id) not in voided]
        signed = set(conn.execute(select(t.signature.c.plan_id)).scalars())
        current = current_plans(plans, signed)
        snapshots = {r.id: json.loads(r.plan_json) for r in conn.execute(
            select(t.plan.c.id, t.plan.c.plan_json).where(t.plan.c.id.in_([p["id"] for p in current.values()])))}
        assigned = _assigned(conn)
    rows = []
    for child_id, ref in children.items():
        assessment = json.loads(latest[child_id].canonical) if child_id in latest else {}
        plan = current.get(child_id)
        snapshot = snapshots.get(plan["id"], {}) if plan else {}
        due = plan["review_due"] if plan else None
        rows.append({"child": ref, "name": assessment.get("client", {}).get("name", ""),
                     "last_assessed": latest[child_id].assessed_on if child_id in latest else "",
                     "plan": label("plan", plan["id"]) if plan else "",
                     "status": ("signed" if plan["id"] in signed else "draft") if plan else "",
                     "review_due": due or "",
                     "days": (dt.date.fromisoformat(due) - today).days if due else None,
                     "arousal": assessment.get("current", {}).get("arousal") or "",
                     "relational_health": assessment.get("current", {}).get("relational_health"),
                     "referrals": len(snapshot.get("referrals", [])) + len(snapshot.get("referrals_to_consider", [])),
                     "clinicians": ", ".join(assigned.get(child_id, []))})
    tests = {"overdue": lambda r: r["days"] is not None and r["days"] < 0,
             "due": lambda r: r["days"] is not None and r["days"] <= weeks * 7,
             "high_arousal": lambda r: r["arousal"] in params["high_arousal_states"],
             "low_relational": lambda r: r["relational_health"] is not None
             and r["relational_health"] < params["relational_health_low_below"],
             "referrals": lambda r: r["referrals"] > 0}
    rows = [r for r in rows if all(tests[f](r) for f in only if f in tests)]
    key = sort if sort in COLUMNS else "review_due"
    # empty values last whichever way the column is sorted; the child's id breaks ties
    present = sorted((r for r in rows if r[key] not in (None, "")), key=lambda r: (r[key], r["child"]),
                     reverse=descending)
    return present + sorted((r for r in rows if r[key] in (None, "")), key=lambda r: r["child"])


def assign(record, user, child_ref, clinician, action="assign"):
    """Put a child on a clinician's caseload (or take it off, ``action="unassign"``)."""
    from planner.record.users import get_user

    check_child(record, user, "assign", child_ref)
    if action not in ("assign", "unassign"):
        raise Forbidden(f"{action}: not assign or unassign")
    if get_user(record.engine, clinician) is None:
        raise Forbidden(f"{clinician}: no such user (add one with `seqplan users add NAME --role therapist`)")
    with record._write() as conn:
        child_id = record._child_id(conn, child_ref)
        return record._insert(conn, t.assignment, who(user["name"]), "assign", child_ref, {
            "child_id": child_id, "clinician": clinician, "action": action, "by": who(user["name"]), "at": now()},
            {"clinician": clinician, "action": action})


def events(record, user, child_ref):
    """The audit events about one child, oldest first (this read is one of them)."""
    check_child(record, user, "audit", child_ref)
    with record._write() as conn:
        record._event(conn, who(user["name"]), "read", child_ref, "child", None, {"purpose": "audit"})
        return [dict(r._mapping, detail=json.loads(r.detail)) for r in conn.execute(
            select(t.audit_event).where(t.audit_event.c.child_ref == child_ref).order_by(t.audit_event.c.seq))]
