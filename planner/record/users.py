"""Who may log in to the web app, and what each role may do with the case record.

Passwords are argon2id hashes (argon2-cffi's defaults), never kept in clear. After
``MAX_FAILURES`` wrong passwords in a row a login is locked for ``LOCKOUT``, and while it is
locked even the right password is refused, so guessing is slow. A name that does not exist
costs the same hashing time and gets the same answer as a wrong password.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from planner.record import tables as t
from planner.record.db import RecordError

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD = 10

# What each role may do: whose children it sees ("own": assigned to them or added by them;
# "all"; None: no records) and which actions. "local" is the single user of a server on this
# machine with no logins configured (today's `seqplan serve`): everything.
ROLES = {
    "therapist": {"children": "own", "may": {"read", "write", "sign"}},
    "supervisor": {"children": "all", "may": {"read", "write", "sign", "assign"}},
    "auditor": {"children": "all", "may": {"read", "audit"}},
    "trainer": {"children": None, "may": set()},
}
LOCAL = {"children": "all", "may": {"read", "write", "sign", "assign", "audit"}}


class Forbidden(RecordError):
    """The user's role does not allow it, or the child is not on their caseload (403)."""


class LoginRefused(RecordError):
    """A wrong name or password, or a locked login (one message for all, on purpose)."""


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def _now():
    return dt.datetime.now(dt.timezone.utc)


def add_user(record, name, role, password, by):
    """Add a login (an audit event, like every write); a one-line error if it cannot be."""
    from planner.record.store import now, who

    actor, name = who(by), (name or "").strip()
    if not name or len(name) > t.WHO or any(ord(c) < 32 for c in name):
        raise RecordError(f"NAME: '{name}' is not a name to log in with (1 to {t.WHO} printable characters)")
    if role not in ROLES:
        raise RecordError(f"--role: '{role}' is not a role (one of: {', '.join(ROLES)})")
    if len(password or "") < MIN_PASSWORD:
        raise RecordError(f"password: shorter than {MIN_PASSWORD} characters (choose a longer one)")
    with record._write() as conn:
        if conn.execute(select(t.app_user.c.id).where(t.app_user.c.name == name)).scalar():
            raise RecordError(f"{name}: is a user already")
        ident = conn.execute(t.app_user.insert().values(
            name=name, role=role, password_hash=_hasher().hash(password), failures=0,
            added_at=now(), added_by=actor)).inserted_primary_key[0]
        record._event(conn, actor, "user add", None, "user", ident, {"name": name, "role": role})
    return ident


def list_users(engine):
    """[{name, role, locked_until, added_at, added_by}] in name order."""
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(t.app_user.c.name, t.app_user.c.role, t.app_user.c.locked_until, t.app_user.c.added_at,
                   t.app_user.c.added_by).order_by(t.app_user.c.name))]


def has_users(engine):
    with engine.connect() as conn:
        return conn.execute(select(t.app_user.c.id).limit(1)).scalar() is not None


def get_user(engine, name):
    """{name, role} of a login, or None (a session whose user was removed ends)."""
    with engine.connect() as conn:
        row = conn.execute(select(t.app_user.c.name, t.app_user.c.role).where(t.app_user.c.name == name)).first()
    return dict(row._mapping) if row else None


def authenticate(engine, name, password):
    """{name, role} if ``password`` is the login's and it is not locked; else LoginRefused.
    Counts failures and locks the login after ``MAX_FAILURES`` in a row."""
    from argon2.exceptions import VerificationError

    hasher = _hasher()
    with engine.begin() as conn:           # the counters are kept whether or not the login succeeds
        # no login's name has a NUL (add_user refuses control characters), and PostgreSQL cannot compare one
        row = None if "\x00" in (name or "") else \
            conn.execute(select(t.app_user).where(t.app_user.c.name == (name or ""))).first()
        ok = False
        if row is None:
            hasher.hash(password or "")          # the same time as a wrong password
        elif not (row.locked_until and dt.datetime.fromisoformat(row.locked_until) > _now()):
            where = t.app_user.c.id == row.id
            try:
                ok = hasher.verify(row.password_hash, password or "")
            except VerificationError:
                failures = row.failures + 1
                locked = (_now() + LOCKOUT).isoformat(timespec="seconds") if failures >= MAX_FAILURES else None
                conn.execute(t.app_user.update().where(where).values(
                    failures=0 if locked else failures, locked_until=locked))
            else:
                values = {"failures": 0, "locked_until": None}
                if hasher.check_needs_rehash(row.password_hash):
                    values["password_hash"] = hasher.hash(password)
                conn.execute(t.app_user.update().where(where).values(**values))
    if not ok:
        raise LoginRefused("wrong name or password, or too many attempts (try again later)")
    return {"name": row.name, "role": row.role}


def rights(user):
    """The role's rights: ``LOCAL`` for the single local user (``user["role"] == "local"``)."""
    return LOCAL if user["role"] == "local" else ROLES[user["role"]]


def require(user, action):
    """Refuse (Forbidden) unless the user's role may do ``action``."""
    if action not in rights(user)["may"]:
        raise Forbidden(f"{user['name']}: a {user['role']} may not {action} here")
