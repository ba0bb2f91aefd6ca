"""The case record: a child's assessments, plans, the clinician's decisions and signatures,
and an append-only, hash-chained audit trail (SQLite by default, PostgreSQL by URL)."""
