"""Opening the case record: an SQLite file by default, PostgreSQL through a URL, migrated
to the latest schema on first use.

- ``--db`` (or ``SEQPLAN_DB``) is a file path or a SQLAlchemy URL; ``postgresql://`` uses
  psycopg 3. A new SQLite file is created mode 0600 (a child's record is nobody else's to
  read), in WAL mode with a busy timeout so readers never block the writer.
- Every transaction that writes holds the audit chain's lock for its whole length (SQLite:
  ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock), so two processes
  writing at once are serialised and no audit row is computed from a stale predecessor.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from planner.errors import SeqplanError

DEFAULT_FILE = "seqplan-record.db"
ENV_VAR = "SEQPLAN_DB"
BUSY_TIMEOUT_S = 30
CHAIN_LOCK = 0x5E9A1A4D      # the PostgreSQL advisory lock key of the audit chain


class RecordError(SeqplanError):
    """A case-record command that cannot be done: names what and how to fix it (exit 2)."""


def database_url(db=None):
    """The SQLAlchemy URL for ``db`` (a path or a URL; default ``$SEQPLAN_DB`` or
    ``./seqplan-record.db``)."""
    from sqlalchemy.engine import make_url

    db = db or os.environ.get(ENV_VAR) or DEFAULT_FILE
    if "://" not in db:
        return make_url("sqlite://").set(database=str(Path(db)))
    try:
        url = make_url(db)
    except Exception:         # sqlalchemy.exc.ArgumentError: show it as the user's error
        raise RecordError(f"--db: '{db}' is not a database URL (use a file path, or "
                          "postgresql://USER@HOST:PORT/DB)") from None
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise RecordError(f"--db: {url.get_backend_name()} is not supported (use SQLite or PostgreSQL)")
    return url


def shown(url):
    """The URL as it may be printed: never its password."""
    return url.render_as_string(hide_password=True)


def _sqlite_file(url):
    """Create the SQLite file 0600 if it is new; refuse a path that is not a file."""
    path = Path(url.database)
    if url.database in (None, "", ":memory:"):
        raise RecordError("--db: an in-memory database would forget the record; give a file path")
    if path.exists() and not path.is_file():
        raise RecordError(f"{path}: --db: is not a file (give the path of a database file)")
    if not path.parent.is_dir():
        raise RecordError(f"{path}: --db: its directory does not exist (create it first)")
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _sqlite_engine(url):
    from sqlalchemy import create_engine, event

    _sqlite_file(url)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _connect(dbapi, _record):
        dbapi.isolation_level = None            # transactions are begun below, not by the driver
        dbapi.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        dbapi.execute("PRAGMA journal_mode = WAL")
        dbapi.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


_ENGINES = {}


def _after_fork():
    """In a forked child (a server's worker process) never reuse the parent's pooled
    connections: SQLAlchemy's way is to drop them without closing the parent's."""
    for engine in _ENGINES.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork)


def engine_for(db=None):
    """The migrated engine of the record at ``db`` (one per URL and process)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    url = database_url(db)
    key = url.render_as_string(hide_password=False)
    if key in _ENGINES:
        return _ENGINES[key]
    engine = _sqlite_engine(url) if url.get_backend_name() == "sqlite" else create_engine(url)
    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", _refuse_nul)
    try:
        _migrate(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise RecordError(f"{shown(url)}: cannot open the case record ({_first_line(exc)})") from None
    _ENGINES[key] = engine
    return engine


def _refuse_nul(conn, cursor, statement, parameters, context, executemany):
    """Text holding a NUL character is refused before it reaches the database: PostgreSQL can
    neither keep nor compare it (a DataError: a web page's 500); refused on SQLite too, so a
    record behaves the same on both."""
    if any(isinstance(v, str) and "\x00" in v for v in _values(parameters)):
        raise RecordError("text with a NUL character (\\x00) cannot be kept in the case record or looked up "
                          "in it (remove the character)")


def _values(parameters):
    if isinstance(parameters, dict):
        yield from parameters.values()
    elif isinstance(parameters, (list, tuple)):
        for value in parameters:
            if isinstance(value, (dict, list, tuple)):
                yield from _values(value)
            else:
                yield value


def _first_line(exc):
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _migrate(engine):
    """Apply the Alembic migrations the database lacks (none on every later open: the
    revision is read first and Alembic is only loaded when there is something to apply)."""
    from sqlalchemy import inspect, text

    versions = sorted(p.stem.split("_")[0] for p in (Path(__file__).parent / "migrations" / "versions").glob("0*.py"))
    with engine.connect() as conn:
        if inspect(conn).has_table("alembic_version"):
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if current == versions[-1]:
                return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "planner.record:migrations")
    with engine.begin() as conn:
        lock(conn)        # two processes opening a new record at once migrate it once
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def lock(conn):
    """Hold the audit chain's lock until ``conn``'s transaction ends (SQLite holds it from
    ``BEGIN IMMEDIATE`` already)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy import text

        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
