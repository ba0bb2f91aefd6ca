"""The case record: children, assessments, plans, decisions, signatures, voids, audit events.

Revision ID: 0001
Revises:
Frozen: the tables as first released (planner/record/tables.py is the current schema).
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

WHO = 200


def _times(*names):
    return [sa.Column(name, sa.String(32), nullable=False) for name in names]


def upgrade():
    op.create_table("child", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("ref", sa.String(200), nullable=False, unique=True),
                    *_times("added_at"), sa.Column("added_by", sa.String(WHO), nullable=False))
    op.create_table("assessment", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("child_id", sa.Integer, sa.ForeignKey("child.id"), nullable=False, index=True),
                    sa.Column("digest", sa.String(80), nullable=False),
                    sa.Column("assessed_on", sa.String(10), nullable=False),
                    sa.Column("assessor", sa.String(WHO)),
                    sa.Column("source", sa.Text, nullable=False),
                    *_times("added_at"), sa.Column("added_by", sa.String(WHO), nullable=False),
                    sa.Column("canonical", sa.Text, nullable=False),     # large text last (tables.py says why)
                    sa.UniqueConstraint("child_id", "digest"))
    op.create_table("plan", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("child_id", sa.Integer, sa.ForeignKey("child.id"), nullable=False, index=True),
                    sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessment.id"), nullable=False),
                    sa.Column("previous_id", sa.Integer, sa.ForeignKey("assessment.id")),
                    sa.Column("plan_digest", sa.String(80), nullable=False),
                    sa.Column("input_digest", sa.String(80), nullable=False),
                    sa.Column("kb_version", sa.String(40), nullable=False),
                    sa.Column("kb_digest", sa.String(80), nullable=False),
                    sa.Column("seqplan_version", sa.String(40), nullable=False),
                    sa.Column("review_due", sa.String(10)),
                    *_times("created_at"), sa.Column("created_by", sa.String(WHO), nullable=False),
                    sa.Column("plan_json", sa.Text, nullable=False))
    op.create_table("decision", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plan.id"), nullable=False, index=True),
                    sa.Column("step", sa.String(40)),
                    sa.Column("action", sa.String(20), nullable=False),
                    sa.Column("activity", sa.String(80)),
                    sa.Column("reason", sa.String(80)),
                    sa.Column("note", sa.Text, nullable=False),
                    sa.Column("by", sa.String(WHO), nullable=False), *_times("at"))
    op.create_table("signature", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plan.id"), nullable=False, index=True),
                    sa.Column("by", sa.String(WHO), nullable=False),
                    sa.Column("role", sa.String(80), nullable=False), *_times("at"),
                    sa.Column("digest", sa.String(80), nullable=False))
    op.create_table("void", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("kind", sa.String(20), nullable=False),
                    sa.Column("target_id", sa.Integer, nullable=False),
                    sa.Column("reason", sa.String(80), nullable=False),
                    sa.Column("note", sa.Text, nullable=False),
                    sa.Column("by", sa.String(WHO), nullable=False), *_times("at"),
                    sa.UniqueConstraint("kind", "target_id"))
    op.create_table("audit_event", sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
                    *_times("at"), sa.Column("actor", sa.String(WHO), nullable=False),
                    sa.Column("action", sa.String(40), nullable=False),
                    sa.Column("child_ref", sa.String(200)),
                    sa.Column("kind", sa.String(20)),
                    sa.Column("target_id", sa.Integer),
                    sa.Column("detail", sa.Text, nullable=False),
                    sa.Column("prev_hash", sa.String(64), nullable=False),
                    sa.Column("hash", sa.String(64), nullable=False))
    _insert_only(["child", "assessment", "plan", "decision", "signature", "void", "audit_event"])


def _insert_only(tables):
    """Triggers that refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) of every row: the
    record is append-only for everyone who goes through the database, not just seqplan."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION seqplan_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "RAISE EXCEPTION 'seqplan: % rows are never changed or deleted (void them with a reason)', "
                   "TG_TABLE_NAME; END $$")
        for table in tables:
            op.execute(f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION seqplan_insert_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION seqplan_insert_only()")
        return
    for table in tables:
        for change in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{change.lower()} BEFORE {change} ON {table} BEGIN "
                       f"SELECT RAISE(ABORT, 'seqplan: {table} rows are never changed or deleted "
                       "(void them with a reason)'); END")


def downgrade():
    raise NotImplementedError("the case record is never migrated down: nothing clinical is deleted")
