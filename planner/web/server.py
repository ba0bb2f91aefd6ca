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


def run(host="127.0.0.1", port=8765, kb_dir=None):
    """Serve the app until Ctrl-C."""
    import click
    from werkzeug.serving import make_server

    from planner.web.app import LOOPBACK_HOSTS, create_app

    trusted = LOOPBACK_HOSTS if is_loopback(host) else LOOPBACK_HOSTS + [host]
    if not is_loopback(host):
        click.echo(f"seqplan: warning: serving on {host}, reachable from other machines; "
                   "the page has no login", err=True)
    server = make_server(host, port, create_app(kb_dir, trusted), threaded=False)
    click.echo(f"seqplan: serving on http://{host if ':' not in host else f'[{host}]'}:{server.server_port}/ "
               "(Ctrl-C to stop)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)
