"""Who is asking: logins, sessions, CSRF tokens and the same-origin check of the web app.

- A server bound to this machine with no users in its record has one local user, as
  `seqplan serve` always had; bound elsewhere, or once a user exists, everyone logs in.
- Sessions are Flask's signed cookies, with a key made at start (a restart logs everyone
  out): HttpOnly, SameSite=Strict, and Secure unless the server is plain HTTP on loopback.
  A session lasts ``SESSION_HOURS``; logging in starts a new one (no session fixation).
- Every POST must come from this site: an ``Origin`` (or else ``Referer``) naming another
  host is refused. Every form and JSON write carries the session's CSRF token (form field
  ``csrf`` or header ``X-CSRF-Token``); without a login, the trainer's stateless pages and
  JSON API keep working without one, as documented for curl.
- CDS Hooks (``SERVER_TO_SERVER``) is called by an EHR's server, not a browser: no session,
  no CSRF token; it answers for itself.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets
from urllib.parse import urlsplit

from flask import abort, g, redirect, render_template, request, session, url_for

SESSION_HOURS = 8
CSRF_FIELD, CSRF_HEADER = "csrf", "X-CSRF-Token"
OPEN_ENDPOINTS = ("login", "static")          # reachable before logging in
SERVER_TO_SERVER = ("cds",)    # blueprints an EHR calls with JSON and no cookies (planner/web/cds.py)


def csrf_token():
    """The session's CSRF token (made on first use)."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def _same_origin():
    """False when the browser says the request comes from another site."""
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if claimed is None:
        return True                 # not a browser (curl, a script): the CSRF token decides
    return claimed != "null" and urlsplit(claimed).netloc.lower() == request.host.lower()


def _token_ok():
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    # bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500)
    return bool(session.get(CSRF_FIELD)) and hmac.compare_digest(sent.encode("utf-8", "surrogatepass"),
                                                                 session[CSRF_FIELD].encode())


def install(app, db, public, secure_cookies, secret_key=None):
    """Guard every request of ``app``; ``public``: bound beyond loopback (login always)."""
    from planner import api
    from planner.api import acting_user as who

    app.secret_key = secret_key or secrets.token_bytes(32)
    app.config.update(SESSION_COOKIE_NAME="seqplan_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_SECURE=secure_cookies,
                      PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS))

    def login_on():
        return public or (db is not None and api.users_exist(db))

    @app.before_request
    def guard():
        if request.routing_exception is not None or request.blueprint in SERVER_TO_SERVER:
            return None           # an untrusted Host or unknown page (Flask answers 400/404); CDS Hooks
        g.login = login_on()
        if request.method not in ("GET", "HEAD") and not _same_origin():
            abort(403, "a request from another site is refused")
        if request.method == "POST" and (g.login or request.blueprint == "record" or request.endpoint == "login") \
                and not _token_ok():
            abort(403, "the form has expired or did not come from this page (reload it and try again)")
        if not g.login:
            g.user = {"name": who(None), "role": "local"} if db else None
            return None
        g.user = api.users_get(session["user"], db) if session.get("user") else None
        if g.user is None and request.endpoint not in OPEN_ENDPOINTS:
            session.pop("user", None)
            return redirect(url_for("login", next=request.full_path.rstrip("?") if request.method == "GET" else None))
        return None

    @app.context_processor
    def who_is_here():
        from planner.api import role_rights as rights

        user = g.get("user")
        return {"user": user, "may": rights(user)["may"] if user else set(), "login": g.get("login"),
                "csrf_token": csrf_token, "records": db is not None}

    @app.route("/login", methods=["GET", "POST"])
    def login():
        from planner.api import LoginRefused

        if not g.login:
            return redirect(url_for("home"))
        error = None
        if request.method == "POST":
            try:
                user = api.users_login(request.form.get("name", ""), request.form.get("password", ""), db)
            except LoginRefused as exc:
                error = str(exc)
            else:
                session.clear()
                session.permanent = True
                session["user"] = user["name"]
                csrf_token()
                target = request.args.get("next") or ""
                local = target.startswith("/") and not target.startswith("//") and "\\" not in target
                return redirect(target if local else url_for("home"))
        return render_template("login.html", error=error), 401 if error else 200

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("login") if g.login else url_for("home"))
