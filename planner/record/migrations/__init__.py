"""Alembic migrations of the case record, applied on first use (planner.record.db)."""
