"""Logins of the web app, and which clinician a child is assigned to.

Revision ID: 0002
Revises: 0001
Frozen: the tables as first released (planner/record/tables.py is the current schema).

``app_user`` is not a clinical record: its failed-login counter, lockout and password hash
change in place. ``assignment`` is, and is insert-only like every table of 0001 (a child is
unassigned by a later row, never by deleting one).
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WHO = 200


def upgrade():
    op.create_table("app_user", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.String(WHO), nullable=False, unique=True),
                    sa.Column("role", sa.String(20), nullable=False),
                    sa.Column("password_hash", sa.String(200), nullable=False),
                    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
                    sa.Column("locked_until", sa.String(32)),
                    sa.Column("added_at", sa.String(32), nullable=False),
                    sa.Column("added_by", sa.String(WHO), nullable=False))
    op.create_table("assignment", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("child_id", sa.Integer, sa.ForeignKey("child.id"), nullable=False, index=True),
                    sa.Column("clinician", sa.String(WHO), nullable=False),
                    sa.Column("action", sa.String(20), nullable=False),          # assign or unassign
                    sa.Column("by", sa.String(WHO), nullable=False),
                    sa.Column("at", sa.String(32), nullable=False))
    if op.get_bind().dialect.name == "postgresql":       # seqplan_insert_only() is 0001's
        op.execute("CREATE TRIGGER assignment_insert_only BEFORE UPDATE OR DELETE ON assignment "
                   "FOR EACH ROW EXECUTE FUNCTION seqplan_insert_only()")
        op.execute("CREATE TRIGGER assignment_no_truncate BEFORE TRUNCATE ON assignment "
                   "FOR EACH STATEMENT EXECUTE FUNCTION seqplan_insert_only()")
        return
    for change in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER assignment_no_{change.lower()} BEFORE {change} ON assignment BEGIN "
                   "SELECT RAISE(ABORT, 'seqplan: assignment rows are never changed or deleted "
                   "(void them with a reason)'); END")


def downgrade():
    raise NotImplementedError("the case record is never migrated down: nothing clinical is deleted")
