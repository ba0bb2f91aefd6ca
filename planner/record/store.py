"""What a clinician does with the case record, one function each: add assessments, plan,
decide about steps, sign, void, and read it back (timeline, reviews due, export, verify).

Every write and every read of a child's record is one transaction that also appends its
audit event, so the record and its trail can never disagree (a process killed half way
leaves neither). Nothing is updated or deleted: later decisions supersede earlier ones
for the same step, and a record entered in error is voided with a coded reason.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os

from sqlalchemy import func, select

from planner.record import tables as t
from planner.record.chain import GENESIS, canonical, digest, event_hash, first_break
from planner.record.db import RecordError, engine_for, lock

USER_VAR = "SEQPLAN_USER"
PREFIX = {"assessment": "A", "plan": "P", "decision": "D", "signature": "G", "void": "V", "child": "C",
          "assignment": "N"}
SNAPSHOTS = ("child", "assessment", "plan", "decision", "signature", "void", "assignment")
WRITES = ("add", "plan", "decide", "sign", "void", "assign")      # the actions that store a row


def who(by=None):
    """The person a command acts for: ``--by``, else ``$SEQPLAN_USER``, else the login name."""
    name = text_arg((by or os.environ.get(USER_VAR) or _login() or "").strip(), "--by")
    if not name:
        raise RecordError("--by: nobody is named (pass --by NAME or set SEQPLAN_USER)")
    if len(name) > t.WHO:
        raise RecordError(f"--by: longer than {t.WHO} characters (give a name or login)")
    return name


def text_arg(value, field):
    """``value`` if it can be stored as text; a one-line error otherwise (a lone surrogate:
    bytes in a command line that are not UTF-8)."""
    try:
        str(value).encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(f"{field}: contains a character that is not text (type or save it as UTF-8)") from None
    return value


def _login():
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return None


def now():
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def label(kind, ident):
    """A record's id as the user sees and types it: P3, A12, D7."""
    return f"{PREFIX[kind]}{ident}"


def parse_id(kind, text):
    """The number in ``P3`` or ``3`` (for ``kind`` plan); a one-line error otherwise."""
    raw = str(text).strip()
    number = raw[1:] if raw[:1].upper() == PREFIX[kind] else raw
    if not number.isdigit() or len(number) > 12:
        raise RecordError(f"{kind} '{raw}': not a {kind} id (like {PREFIX[kind]}3: see `seqplan record show CHILD`)")
    return int(number)


def _row_digest(table, row):
    """The digest of one stored row (every column): what its audit event vouches for."""
    return digest({column.name: row[column.name] for column in table.columns})


class Record:
    """The case record at ``db`` (a path or URL), read with knowledge base ``kb``."""

    def __init__(self, db=None, kb=None):
        from planner.kb.knowledge import load_knowledge_base

        self.engine = engine_for(db)
        self.kb = kb or load_knowledge_base()

    # --- writing -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self):
        with self.engine.begin() as conn:
            lock(conn)
            yield conn

    def _event(self, conn, actor, action, child_ref=None, kind=None, target_id=None, detail=None):
        """Append one audit event, chained to the last (the caller holds the chain's lock)."""
        last = conn.execute(select(t.audit_event.c.seq, t.audit_event.c.hash)
                            .order_by(t.audit_event.c.seq.desc()).limit(1)).first()
        event = {"seq": last.seq + 1 if last else 1, "at": now(), "actor": actor, "action": action,
                 "child_ref": child_ref, "kind": kind, "target_id": target_id, "detail": canonical(detail or {})}
        prev = last.hash if last else GENESIS
        conn.execute(t.audit_event.insert().values(**event, prev_hash=prev, hash=event_hash(event, prev)))

    def _insert(self, conn, table, actor, action, child_ref, values, detail=None):
        """Insert one snapshot row and its audit event (which carries the row's digest)."""
        ident = conn.execute(table.insert().values(**values)).inserted_primary_key[0]
        row = conn.execute(select(table).where(table.c[_key(table)] == ident)).mappings().one()
        self._event(conn, actor, action, child_ref, table.name, ident,
                    {**(detail or {}), "digest": _row_digest(table, row)})
        return ident

    # --- assessments and plans -----------------------------------------------------------

    def add(self, paths, by=None, names=None):
        """Store the assessments in ``paths`` (YAML, JSON, or CSV with one per row): all or
        none, each validated as `seqplan plan` would. ``names`` (one per path) is what the
        record calls each file (an upload's own name, not where it was saved). Returns one
        line per assessment."""
        names = names or [None] * len(paths)
        return self.add_assessments([item for path, name in zip(paths, names)
                                     for item in _assessments(path, self.kb, name)], by)

    def add_assessments(self, found, by=None):
        """Store [(source, Assessment)] (validated already): all or none; one line each."""
        actor = who(by)
        lines = []
        with self._write() as conn:
            for source, assessment in found:
                child_id = self._child(conn, assessment.client_id, actor)
                stored = conn.execute(select(t.assessment.c.id).where(
                    t.assessment.c.child_id == child_id, t.assessment.c.digest == assessment.digest)).scalar()
                if stored:
                    lines.append(f"{source}: already in the record as {label('assessment', stored)} "
                                 f"({assessment.client_id}, {assessment.assessed_on})")
                    continue
                ident = self._insert(conn, t.assessment, actor, "add", assessment.client_id, {
                    "child_id": child_id, "digest": assessment.digest, "assessed_on": assessment.assessed_on,
                    "assessor": assessment.assessor, "canonical": canonical(assessment.canonical),
                    "source": source, "added_at": now(), "added_by": actor})
                lines.append(f"{source}: added {label('assessment', ident)} ({assessment.client_id}, "
                             f"{assessment.assessed_on})")
        return lines

    def _child(self, conn, ref, actor):
        ident = conn.execute(select(t.child.c.id).where(t.child.c.ref == ref)).scalar()
        if ident is None:
            ident = self._insert(conn, t.child, actor, "add", ref, {"ref": ref, "added_at": now(), "added_by": actor})
        return ident

    def plan(self, child_ref, by=None):
        """Plan the child's latest assessment (following the one before it, so the plan can
        step down) and store the plan as a draft. Returns (plan id, new?)."""
        from planner.outputs.render import render_plan
        from planner.plans.planning import make_plan, review_date

        actor = who(by)
        with self._write() as conn:
            child_id = self._child_id(conn, child_ref)
            rows = self._live(conn, t.assessment, t.assessment.c.child_id == child_id,
                              order=(t.assessment.c.assessed_on, t.assessment.c.id))
            if not rows:
                raise RecordError(f"{child_ref}: has no assessment that is not voided (add one with `seqplan record add FILE`)")
            latest, earlier = rows[-1], (rows[-2] if len(rows) > 1 else None)
            assessment = self.assessment_of(latest)
            if assessment.previous or (earlier and earlier.assessed_on == latest.assessed_on):
                earlier = None
            if earlier:
                assessment = assessment.following(self.assessment_of(earlier))
            plan = make_plan(assessment, self.kb)
            text = render_plan(plan, "json")
            plan_digest = digest(text)
            same = conn.execute(select(t.plan.c.id).where(
                t.plan.c.assessment_id == latest.id, t.plan.c.plan_digest == plan_digest,
                t.plan.c.id.not_in(self._voided("plan")))).scalar()
            if same:
                return same, False
            ident = self._insert(conn, t.plan, actor, "plan", child_ref, {
                "child_id": child_id, "assessment_id": latest.id, "previous_id": earlier.id if earlier else None,
                "plan_json": text, "plan_digest": plan_digest, "input_digest": plan.input_digest,
                "kb_version": self.kb.version, "kb_digest": self.kb.digest, "seqplan_version": plan.seqplan_version,
                "review_due": review_date(plan.assessed_on, plan.review), "created_at": now(), "created_by": actor})
        return ident, True

    def assessment_of(self, row):
        """The stored assessment ``row`` as an ``Assessment`` (validated again: the record may
        have been written by another version of seqplan)."""
        from planner.intake.assessment import from_data

        return from_data(json.loads(row.canonical), label("assessment", row.id), kb=self.kb)

    # --- decisions, signatures, voids --------------------------------------------------------

    def decide(self, plan_ref, step, action, activity=None, reason=None, note="", by=None):
        """Record the clinician's decision about one step of a draft plan (or a step added)."""
        from planner.record.decisions import check_decision

        actor = who(by)
        plan_id = parse_id("plan", plan_ref)
        with self._write() as conn:
            row, child_ref = self._plan_row(conn, plan_id)
            self._refuse_signed(conn, plan_id, "decide about it")
            text_arg(note, "--note")
            step = check_decision(self.kb, json.loads(row.plan_json), plan_id, step, action, activity, reason, note)
            return self._insert(conn, t.decision, actor, "decide", child_ref, {
                "plan_id": plan_id, "step": step, "action": action, "activity": activity, "reason": reason,
                "note": note or "", "by": actor, "at": now()})

    def sign(self, plan_ref, role, by=None):
        """Sign a plan with its decisions as they stand: what was signed is fixed by digest."""
        from planner.record.decisions import codes

        actor = who(by)
        if role not in codes(self.kb)["roles"]:
            raise RecordError(f"--role: '{role}' is not a role that signs plans "
                              f"(one of: {', '.join(codes(self.kb)['roles'])})")
        plan_id = parse_id("plan", plan_ref)
        with self._write() as conn:
            row, child_ref = self._plan_row(conn, plan_id)
            self._refuse_signed(conn, plan_id, "sign it again")
            signed = self.signed_digest(conn, row)
            return self._insert(conn, t.signature, actor, "sign", child_ref, {
                "plan_id": plan_id, "by": actor, "role": role, "at": now(), "digest": signed})

    def signed_digest(self, conn, plan_row):
        """The digest a signature fixes: the plan snapshot and its live decisions, in order."""
        decisions = self._live(conn, t.decision, t.decision.c.plan_id == plan_row.id, order=(t.decision.c.id,))
        return digest({"plan": plan_row.plan_digest, "decisions": [_row_digest(t.decision, d._mapping) for d in decisions]})

    def void(self, kind, ref, reason, note="", by=None):
        """Void an assessment, plan or decision entered in error: it stays in the record,
        marked, and no longer counts."""
        from planner.record.decisions import check_reason

        actor = who(by)
        if kind not in ("assessment", "plan", "decision"):
            raise RecordError(f"{kind}: only an assessment, a plan or a decision can be voided")
        check_reason(self.kb, reason, text_arg(note, "--note"), required=True)
        ident = parse_id(kind, ref)
        table = getattr(t, kind)
        with self._write() as conn:
            row = conn.execute(select(table).where(table.c.id == ident)).first()
            if row is None:
                raise RecordError(f"{label(kind, ident)}: no such {kind} in the record")
            if conn.execute(select(t.void.c.id).where(t.void.c.kind == kind, t.void.c.target_id == ident)).scalar():
                raise RecordError(f"{label(kind, ident)}: is voided already")
            if kind == "decision":
                self._refuse_signed(conn, row.plan_id, "void one of its decisions")
            child_ref = self._child_ref_of(conn, kind, row)
            return self._insert(conn, t.void, actor, "void", child_ref, {
                "kind": kind, "target_id": ident, "reason": reason, "note": note or "", "by": actor, "at": now()})

    # --- reading (audited) -----------------------------------------------------------------

    def child_record(self, child_ref, by=None, purpose="show"):
        """Everything stored about one child, as plain data; the read is an audit event."""
        actor = who(by)
        with self._write() as conn:
            child_id = self._child_id(conn, child_ref)
            self._event(conn, actor, "read", child_ref, "child", child_id, {"purpose": purpose})
            return self._gather(conn, child_id)

    def _gather(self, conn, child_id):
        voided = {(v.kind, v.target_id): v._asdict() for v in conn.execute(select(t.void))}
        def rows(table, where, order):
            return [dict(r._mapping, voided=voided.get((table.name, r.id)))
                    for r in conn.execute(select(table).where(where).order_by(*order))]
        plans = rows(t.plan, t.plan.c.child_id == child_id, (t.plan.c.id,))
        plan_ids = [p["id"] for p in plans]
        signatures = rows(t.signature, t.signature.c.plan_id.in_(plan_ids), (t.signature.c.id,))
        statuses = plan_statuses(plans, signatures)
        for plan in plans:
            plan["status"] = statuses[plan["id"]]
        return {"assessments": rows(t.assessment, t.assessment.c.child_id == child_id, (t.assessment.c.assessed_on, t.assessment.c.id)),
                "plans": plans, "signatures": signatures,
                "decisions": rows(t.decision, t.decision.c.plan_id.in_(plan_ids), (t.decision.c.id,))}

    def stored_plan(self, plan_ref, by=None, purpose="print"):
        """(plan row, its live decisions, its signature or None, child ref) of one plan; the
        read is an audit event."""
        actor = who(by)
        plan_id = parse_id("plan", plan_ref)
        with self._write() as conn:
            row, child_ref = self._plan_row(conn, plan_id, allow_voided=True)
            self._event(conn, actor, "read", child_ref, "plan", plan_id, {"purpose": purpose})
            decisions = self._live(conn, t.decision, t.decision.c.plan_id == plan_id, order=(t.decision.c.id,))
            signature = conn.execute(select(t.signature).where(t.signature.c.plan_id == plan_id)).first()
            return row, decisions, signature, child_ref

    def due(self, weeks=4, today=None, by=None):
        """The caseload's reviews due within ``weeks`` and overdue, overdue first: for each
        child, the review of its current plan (the latest signed one, else the latest draft)."""
        actor = who(by)
        today = today or dt.date.today()
        horizon = (today + dt.timedelta(weeks=weeks)).isoformat()
        with self._write() as conn:
            self._event(conn, actor, "read", None, "caseload", None, {"purpose": "due", "weeks": weeks})
            voided = self._voided("plan")
            plans = [dict(r._mapping) for r in conn.execute(
                select(t.plan.c.id, t.plan.c.child_id, t.plan.c.assessment_id, t.plan.c.review_due, t.child.c.ref)
                .join(t.child, t.child.c.id == t.plan.c.child_id).where(t.plan.c.id.not_in(voided))
                .order_by(t.plan.c.id))]
            signed = {r.plan_id: dict(r._mapping) for r in conn.execute(
                select(t.signature.c.plan_id, t.signature.c.at).where(t.signature.c.plan_id.not_in(voided)))}
            planned = {r.assessment_id for r in conn.execute(select(t.plan.c.assessment_id)
                                                             .where(t.plan.c.id.not_in(voided)))}
            latest = dict(conn.execute(select(t.assessment.c.child_id, func.max(t.assessment.c.assessed_on))
                                       .where(t.assessment.c.id.not_in(self._voided("assessment")))
                                       .group_by(t.assessment.c.child_id)).all())
            dates = dict(conn.execute(select(t.assessment.c.id, t.assessment.c.assessed_on)).all())
        newest = {p["child_id"]: p for p in plans}       # in id order: each child's latest plan
        latest_planned = {p["child_id"]: dates[p["assessment_id"]] for p in plans if p["assessment_id"] in planned}
        due = []
        for plan in current_plans(plans, signed).values():
            if plan["review_due"] and plan["review_due"] <= horizon:
                due.append({"child": plan["ref"], "plan": label("plan", plan["id"]),
                            "status": "signed" if plan["id"] in signed else "draft",
                            "review_due": plan["review_due"],
                            "days": (dt.date.fromisoformat(plan["review_due"]) - today).days,
                            "newer_assessment": latest.get(plan["child_id"], "") > latest_planned[plan["child_id"]],
                            "newer_draft": label("plan", newest[plan["child_id"]]["id"])
                            if newest[plan["child_id"]]["id"] != plan["id"] else None})
        return sorted(due, key=lambda d: (d["review_due"], d["child"]))

    def event(self, actor, action, child_ref, kind, target_id, detail):
        """Append an audit event of another kind (a CDS Hooks call, its feedback)."""
        with self._write() as conn:
            self._event(conn, actor, action, child_ref, kind, target_id, detail)

    def find_event(self, action, mentioning):
        """The latest audit event of ``action`` whose detail's cards hold ``mentioning`` (a
        card's uuid: hex and hyphens, no LIKE wildcards), as a mapping, or None."""
        like = f"%{mentioning}%"
        with self.engine.connect() as conn:
            for row in conn.execute(select(t.audit_event).where(t.audit_event.c.action == action,
                                                                t.audit_event.c.detail.like(like))
                                    .order_by(t.audit_event.c.seq.desc())):
                if mentioning in json.loads(row.detail).get("cards", {}):
                    return dict(row._mapping)
        return None

    # --- verifying --------------------------------------------------------------------------

    def reproduce(self, plan_ref, by=None):
        """(reproduced?, lines): re-plan a stored plan from its stored assessment(s) and
        compare byte for byte, as `seqplan audit` does for a file (an audited read)."""
        from planner.outputs.audit import MAX_LINES, differences, stamp_lines
        from planner.plans.diff import plan_diff
        from planner.outputs.render import render_plan
        from planner.plans.planning import make_plan

        row, _decisions, _signature, _child = self.stored_plan(plan_ref, by, purpose="reproduce")
        name = label("plan", row.id)
        if row.kb_digest != self.kb.digest:
            return False, [f"{name}: not reproducible with this knowledge base: it was made with {row.kb_version} "
                           f"{row.kb_digest}, this is {self.kb.version} {self.kb.digest} (pass --kb DIR of that version)"]
        with self.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(t.assessment).where(
                t.assessment.c.id.in_([row.assessment_id, row.previous_id or row.assessment_id])))}
        assessment = self.assessment_of(rows[row.assessment_id])
        if row.previous_id:
            assessment = assessment.following(self.assessment_of(rows[row.previous_id]))
        text = render_plan(make_plan(assessment, self.kb), "json")
        if text == row.plan_json:
            return True, [f"reproduced: {name} follows from {label('assessment', row.assessment_id)} with "
                          f"{self.kb.name} {self.kb.version}, byte for byte"]
        diff = plan_diff(json.loads(row.plan_json), json.loads(text))
        return False, [f"not reproduced: {name}"] + stamp_lines(diff) + differences(diff)[:MAX_LINES]

    def verify(self):
        """(intact?, lines): the audit chain recomputed, and every stored row checked against
        the digest its audit event recorded. Names the first problem, then every other."""
        with self.engine.connect() as conn:
            events = [dict(r._mapping) for r in conn.execute(select(t.audit_event).order_by(t.audit_event.c.seq))]
            problems = []
            broken = first_break(events)
            if broken:
                problems.append(f"audit event {broken[0]}: {broken[1]}")
            vouched = {}
            for event in events:
                if event["kind"] in SNAPSHOTS and event["action"] in WRITES:
                    vouched[(event["kind"], event["target_id"])] = (event["seq"], json.loads(event["detail"]).get("digest"))
            for name in SNAPSHOTS:
                table = getattr(t, name)
                present = set()
                for row in conn.execute(select(table).order_by(table.c.id)).mappings():
                    present.add(row["id"])
                    seq, expected = vouched.get((name, row["id"]), (None, None))
                    if seq is None:
                        problems.append(f"{name} {label(name, row['id'])}: not in the audit trail (written around seqplan)")
                    elif _row_digest(table, row) != expected:
                        problems.append(f"{name} {label(name, row['id'])}: changed after audit event {seq} stored it")
                problems += [f"{name} {label(name, ident)}: deleted (audit event {seq} stored it)"
                             for (kind, ident), (seq, _) in sorted(vouched.items(), key=lambda kv: kv[1][0])
                             if kind == name and ident not in present]
        if problems:
            return False, [f"not intact: {len(problems)} problem(s); the first: {problems[0]}"] + problems[1:]
        return True, [f"intact: {len(events)} audit events chained, every stored row as its event recorded it"]

    # --- helpers ----------------------------------------------------------------------------

    def _voided(self, kind):
        return select(t.void.c.target_id).where(t.void.c.kind == kind).scalar_subquery()

    def _live(self, conn, table, where, order):
        return conn.execute(select(table).where(where, table.c.id.not_in(self._voided(table.name)))
                            .order_by(*order)).all()

    def _child_id(self, conn, child_ref):
        text_arg(child_ref, "CHILD")
        ident = conn.execute(select(t.child.c.id).where(t.child.c.ref == child_ref)).scalar()
        if ident is None:
            from planner.intake.assessment import suggest

            refs = conn.execute(select(t.child.c.ref).limit(5000)).scalars().all()
            raise RecordError(f"{child_ref}: no such child in the record ("
                              + (suggest(child_ref, refs) or "add an assessment with `seqplan record add FILE`") + ")")
        return ident

    def _plan_row(self, conn, plan_id, allow_voided=False):
        row = conn.execute(select(t.plan, t.child.c.ref).join(t.child, t.child.c.id == t.plan.c.child_id)
                           .where(t.plan.c.id == plan_id)).first()
        if row is None:
            raise RecordError(f"{label('plan', plan_id)}: no such plan in the record (see `seqplan record show CHILD`)")
        if not allow_voided and conn.execute(select(t.void.c.id).where(t.void.c.kind == "plan",
                                                                       t.void.c.target_id == plan_id)).scalar():
            raise RecordError(f"{label('plan', plan_id)}: is voided (plan the child again with `seqplan record plan`)")
        return row, row.ref

    def _refuse_signed(self, conn, plan_id, doing):
        signed = conn.execute(select(t.signature).where(t.signature.c.plan_id == plan_id)).first()
        if signed:
            raise RecordError(f"{label('plan', plan_id)}: signed by {signed.by} on {signed.at[:10]}, so you cannot "
                              f"{doing} (plan the child again with `seqplan record plan` to revise it)")

    def _child_ref_of(self, conn, kind, row):
        child_id = row.child_id if kind != "decision" else conn.execute(
            select(t.plan.c.child_id).where(t.plan.c.id == row.plan_id)).scalar()
        return conn.execute(select(t.child.c.ref).where(t.child.c.id == child_id)).scalar()


def _key(table):
    return next(iter(table.primary_key.columns)).name


def current_plans(plans, signed):
    """{child id: its current plan}: of ``plans`` (live, in id order), the latest signed one
    (``signed`` holds their ids), else the latest."""
    current = {}
    for plan in plans:
        held = current.get(plan["child_id"])
        if held is None or plan["id"] in signed or held["id"] not in signed:
            current[plan["child_id"]] = plan
    return current


def plan_statuses(plans, signatures):
    """{plan id: draft | signed | superseded | voided}: a signed plan is superseded once a
    later plan of the same child is signed."""
    signed = {s["plan_id"] for s in signatures}
    latest_signed = max((p["id"] for p in plans if p["id"] in signed and not p["voided"]), default=None)
    return {p["id"]: "voided" if p["voided"] else
            ("draft" if p["id"] not in signed else "signed" if p["id"] == latest_signed else "superseded")
            for p in plans}


def _assessments(path, kb, name=None):
    """[(source, Assessment)] in the file at ``path`` (recorded as ``name``, if given): one,
    or one per CSV row."""
    from pathlib import Path

    from planner.intake.examples import assessment_path
    from planner.intake.assessment import from_data, load_assessment

    path = assessment_path(path)
    name = name or str(path)
    if Path(path).suffix.lower() != ".csv":
        return [(name, load_assessment(path, kb))]
    from planner.intake.csvinput import read_rows

    return [(f"{name} row {row}", from_data(data, f"{path} row {row}", kb=kb)) for row, data in read_rows(path, kb)]
