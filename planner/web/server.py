"""``seqplan serve``: gunicorn, a production WSGI server, with worker processes (each with
its own planning engine: the engine is serialised within a process, so processes are how
two plans run at once), a thread per connection in each worker so an idle or slow client
holds one thread, not the server, and a timeout after which a stuck worker is replaced."""
from __future__ import annotations

import ipaddress
import sys


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run(host="127.0.0.1", port=8765, kb_dir=None, db=None, cert=None, key=None):
    """Serve the app until Ctrl-C. With ``db`` (or $SEQPLAN_DB) the case-record pages are on;
    beyond this machine they need a login, so a record without users is refused there."""
    import os
    import secrets

    import click

    from planner.api import open_record, users_exist
    from planner.api import load_knowledge_base
    from planner.api import RECORD_ENV_VAR as ENV_VAR, RecordError
    from planner.web.app import LOOPBACK_HOSTS, create_app

    db = db or os.environ.get(ENV_VAR) or None
    local = is_loopback(host)
    if db and not local and not users_exist(db):
        raise RecordError(f"--host {host}: the case record is served beyond this machine only with logins "
                          "(add one: seqplan users add NAME --role ROLE --db ...)")
    trusted = LOOPBACK_HOSTS if local else LOOPBACK_HOSTS + [host]
    if not local and not db:
        click.echo(f"seqplan: warning: serving on {host}, reachable from other machines; "
                   "the trainer page has no login", err=True)
    # a bad --kb or --db is an error here, once, not in every worker as it starts
    load_knowledge_base(kb_dir)
    if db:
        open_record(db, kb_dir)
    # without a record, the trainer's page stays open as before (it keeps nothing)
    secret = secrets.token_bytes(32)      # one session key for every worker, made here, kept in memory
    seconds = float(os.environ.get("SEQPLAN_REQUEST_SECONDS") or REQUEST_SECONDS)
    options = dict(SERVER, bind=f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                   certfile=cert, keyfile=key, worker_class=_deadline_worker(seconds))
    _serve(lambda: create_app(kb_dir, trusted, db, public=bool(db) and not local,
                              secure_cookies=bool(cert) or not local, secret_key=secret),
           options, "https" if cert else "http")
    sys.exit(0)


# Worker processes: one per core on this 2-core machine's kind (planning is CPU work); threads
# per worker for connections that wait (idle keep-alive, slow uploads); a request longer than
# `timeout` seconds gets its worker replaced; idle keep-alive connections close after 5 s.
SERVER = {"workers": 2, "worker_class": "gthread", "threads": 8, "timeout": 60, "graceful_timeout": 5,
          "keepalive": 5, "limit_request_line": 8190, "limit_request_fields": 100, "preload_app": False,
          "accesslog": None, "loglevel": "warning", "proc_name": "seqplan"}
# A request's line, headers and body must all arrive within this many seconds of a thread taking
# it up (SEQPLAN_REQUEST_SECONDS); a slower client is answered as one that went away. gthread
# reads a request with blocking calls and no deadline, so a client that sent part of one held a
# thread until it closed: a dozen stalled connections stopped the server answering anyone.
REQUEST_SECONDS = 10.0
SEND_SECONDS = 60.0       # each write of an answer to a client that does not read


def _deadline_worker(seconds):
    """gunicorn's gthread worker, its connections' reads bounded by a deadline per request."""
    import socket
    import threading
    import time

    from gunicorn.workers.gthread import ThreadWorker

    local = threading.local()          # the deadline of the request this thread is reading

    class DeadlineSocket(socket.socket):
        __slots__ = ()

        def recv(self, size, *flags):
            deadline = getattr(local, "deadline", None)
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return b""                     # read as the end of the connection
                self.settimeout(left)
            try:
                return super().recv(size, *flags)
            except TimeoutError:
                return b""

        def sendall(self, data, *flags):
            self.settimeout(SEND_SECONDS)
            return super().sendall(data, *flags)

    class Worker(ThreadWorker):
        def handle(self, conn):
            if type(conn.sock) is socket.socket:       # plain HTTP (a TLS socket keeps its own class)
                conn.sock.__class__ = DeadlineSocket
            local.deadline = time.monotonic() + seconds
            try:
                return super().handle(conn)
            finally:
                local.deadline = None

    return Worker


def _announce(scheme):
    """gunicorn's when_ready hook: say where the server listens (the port, when 0 was asked)."""
    import click

    def when_ready(arbiter):
        host, port = arbiter.LISTENERS[0].sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        click.echo(f"seqplan: serving on {scheme}://{shown}:{port}/ (Ctrl-C to stop)", err=True)

    return when_ready


def _serve(factory, options, scheme):
    """Run gunicorn from here (it has no command line of its own here); each worker process
    builds its own app, and so its own planning engine, with ``factory``."""
    from gunicorn.app.base import BaseApplication

    class Gunicorn(BaseApplication):
        def load_config(self):
            for name, value in dict(options, when_ready=_announce(scheme)).items():
                if value is not None:
                    self.cfg.set(name, value)

        def load(self):
            return factory()

    Gunicorn().run()
