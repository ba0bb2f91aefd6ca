"""The case record's tables as they stand after the latest migration (SQLAlchemy Core).

Every table is insert-only: the migrations add triggers that refuse UPDATE and DELETE, so a
record is corrected by voiding it with a reason (``void``), never by changing it. Times are
UTC ISO 8601 text, so SQLite and PostgreSQL store and compare them alike.
``tests/test_record.py`` checks these definitions against the migrated database.
"""
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

WHO = 200       # a person's name or login as given with --by

child = Table(
    "child", metadata,
    Column("id", Integer, primary_key=True),
    Column("ref", String(200), nullable=False, unique=True),      # the pseudonymous client id
    Column("added_at", String(32), nullable=False),
    Column("added_by", String(WHO), nullable=False),
)

assessment = Table(
    "assessment", metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", Integer, ForeignKey("child.id"), nullable=False, index=True),
    Column("digest", String(80), nullable=False),                  # of the canonical input
    Column("assessed_on", String(10), nullable=False),
    Column("assessor", String(WHO)),
    Column("source", Text, nullable=False),                        # the file (and row) it came from
    Column("added_at", String(32), nullable=False),
    Column("added_by", String(WHO), nullable=False),
    # large text last: SQLite reads a row's columns in order, and a small column after a large
    # one costs a walk through the row's overflow pages (`record due` reads only small ones)
    Column("canonical", Text, nullable=False),                     # the validated input, canonical JSON
    UniqueConstraint("child_id", "digest"),
)

plan = Table(
    "plan", metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", Integer, ForeignKey("child.id"), nullable=False, index=True),
    Column("assessment_id", Integer, ForeignKey("assessment.id"), nullable=False),
    Column("previous_id", Integer, ForeignKey("assessment.id")),   # the earlier assessment it followed
    Column("plan_digest", String(80), nullable=False),
    Column("input_digest", String(80), nullable=False),
    Column("kb_version", String(40), nullable=False),
    Column("kb_digest", String(80), nullable=False),
    Column("seqplan_version", String(40), nullable=False),
    Column("review_due", String(10)),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(WHO), nullable=False),
    Column("plan_json", Text, nullable=False),                     # the snapshot, exactly as `plan --format json`
)

decision = Table(
    "decision", metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("plan.id"), nullable=False, index=True),
    Column("step", String(40)),                                    # the step's id; none for an added step
    Column("action", String(20), nullable=False),                  # decisions.yaml actions
    Column("activity", String(80)),                                # the replacement, or the step added
    Column("reason", String(80)),                                  # decisions.yaml reasons
    Column("note", Text, nullable=False),
    Column("by", String(WHO), nullable=False),
    Column("at", String(32), nullable=False),
)

signature = Table(
    "signature", metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("plan.id"), nullable=False, index=True),
    Column("by", String(WHO), nullable=False),
    Column("role", String(80), nullable=False),
    Column("at", String(32), nullable=False),
    Column("digest", String(80), nullable=False),                  # of the plan and its decisions as signed
)

void = Table(
    "void", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),                    # assessment, plan or decision
    Column("target_id", Integer, nullable=False),
    Column("reason", String(80), nullable=False),
    Column("note", Text, nullable=False),
    Column("by", String(WHO), nullable=False),
    Column("at", String(32), nullable=False),
    UniqueConstraint("kind", "target_id"),
)

audit_event = Table(
    "audit_event", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),  # assigned under the chain's lock
    Column("at", String(32), nullable=False),
    Column("actor", String(WHO), nullable=False),
    Column("action", String(40), nullable=False),
    Column("child_ref", String(200)),
    Column("kind", String(20)),
    Column("target_id", Integer),
    Column("detail", Text, nullable=False),                        # canonical JSON; row digests
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

assignment = Table(
    "assignment", metadata,
    Column("id", Integer, primary_key=True),
    Column("child_id", Integer, ForeignKey("child.id"), nullable=False, index=True),
    Column("clinician", String(WHO), nullable=False),              # a login of app_user
    Column("action", String(20), nullable=False),                  # assign or unassign; the latest counts
    Column("by", String(WHO), nullable=False),
    Column("at", String(32), nullable=False),
)

# The web app's logins: not a clinical record, so the only table whose rows change (failed
# attempts, lockout, a new password).
app_user = Table(
    "app_user", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(WHO), nullable=False, unique=True),
    Column("role", String(20), nullable=False),                    # planner.record.users.ROLES
    Column("password_hash", String(200), nullable=False),          # argon2id
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("locked_until", String(32)),
    Column("added_at", String(32), nullable=False),
    Column("added_by", String(WHO), nullable=False),
)

INSERT_ONLY = ("child", "assessment", "plan", "decision", "signature", "void", "audit_event", "assignment")
