"""``seqplan users``: the web app's logins, thin click wrappers over planner.api."""
from __future__ import annotations

import click

from planner.cli_common import user_errors
from planner.cli_record import db_options


@click.group()
def users():
    """Who may log in to `seqplan serve --db` and in which role: therapist (their own
    caseload), supervisor (every caseload), auditor (read-only, the audit view) or trainer
    (the trainer pages only). With any user added, the web app asks everyone to log in.

    \b
    Example:
      seqplan users add "Dr A. Rivera" --role therapist
      seqplan users list
    """


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, metavar="ROLE",
              help="therapist, supervisor, auditor or trainer.")
@click.password_option(help="The password (asked twice when not given; at least 10 characters).")
@db_options
@user_errors
def users_add(name, role, password, db, by):
    """Add NAME as a login with ROLE; the password is asked for (never echoed) and stored
    as an argon2id hash.

    \b
    Example:
      seqplan users add "Dr A. Rivera" --role therapist --db clinic.db
    """
    from planner.api import users_add as add

    add(name, role, password, db, by)
    click.echo(f"{name}: added as a {role}")


@users.command("list")
@db_options
@user_errors
def users_list(db, by):
    """The logins: name, role, and until when one is locked after failed attempts.

    \b
    Example:
      seqplan users list --db clinic.db
    """
    from planner.api import users_list as listed

    for u in listed(db):
        locked = f"\tlocked until {u['locked_until']}" if u["locked_until"] else ""
        click.echo(f"{u['name']}\t{u['role']}\tadded {u['added_at'][:10]} by {u['added_by']}{locked}")
