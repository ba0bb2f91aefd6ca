"""``seqplan serve``: one process, one request at a time (planning is serialised anyway)."""
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

    import click
    from werkzeug.serving import make_server

    from planner.api import users_exist
    from planner.record.db import ENV_VAR, RecordError
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
    # without a record, the trainer's page stays open as before (it keeps nothing)
    app = create_app(kb_dir, trusted, db, public=bool(db) and not local, secure_cookies=bool(cert) or not local)
    server = make_server(host, port, app, threaded=False, ssl_context=(cert, key) if cert else None)
    scheme = "https" if cert else "http"
    click.echo(f"seqplan: serving on {scheme}://{host if ':' not in host else f'[{host}]'}:{server.server_port}/ "
               "(Ctrl-C to stop)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)
