"""``seqplan record``: the case record's commands, thin click wrappers over planner.api."""
from __future__ import annotations

import click

from planner.cli_common import PATH, kb_option, user_errors, write_output


def db_options(command):
    """--db and --by, shared by every record command."""
    command = click.option("--by", metavar="NAME",
                           help="Who is acting (default: $SEQPLAN_USER, else your login name).")(command)
    return click.option("--db", metavar="PATH|URL",
                        help="The record: an SQLite file or a postgresql:// URL "
                             "(default: $SEQPLAN_DB, else ./seqplan-record.db).")(command)


@click.group()
def record():
    """The case record: a child's assessments, plans, your decisions and signatures, with a
    tamper-evident audit trail. Nothing in it is ever changed or deleted: a record entered
    in error is voided with a reason. SQLite by default; PostgreSQL with --db URL.

    \b
    Example (the loop a therapist follows):
      seqplan record add child.yaml
      seqplan record plan EX-001
      seqplan record decide P1 S2 --replace swinging --reason not-convenient-feasible --note "no drum at home"
      seqplan record sign P1 --by "Dr A. Rivera" --role clinical_psychologist
      seqplan record print P1 --format html -o plan.html
      seqplan record due --weeks 4
      seqplan record show EX-001
      seqplan record verify
    """


@record.command("add")
@click.argument("files", nargs=-1, required=True, type=PATH)
@db_options
@kb_option()
@user_errors
def record_add(files, db, by, kb_dir):
    """Store the assessments in FILES (YAML, JSON, or CSV with one per row; bundled example
    names work too). All or none: one invalid file stores nothing. Adding one again is noted,
    not duplicated.

    \b
    Examples:
      seqplan record add child.yaml
      seqplan record add young-child-brainstem caseload.csv --by "Dr A. Rivera"
    """
    from planner.api import record_add as add

    click.echo("\n".join(add(files, db, by, kb_dir)))


@record.command("plan")
@click.argument("child")
@db_options
@kb_option()
@user_errors
def record_plan(child, db, by, kb_dir):
    """Plan CHILD's latest assessment (after the one before it, so the plan can step down)
    and store the plan as a draft, to decide about and sign.

    \b
    Example:
      seqplan record plan EX-001
    """
    from planner.api import record_plan as plan

    ident, new = plan(child, db, by, kb_dir)
    click.echo(f"P{ident}: {'stored as a draft' if new else 'already stored (the same plan of the same assessment)'}"
               f"; print it with `seqplan record print P{ident}`")


@record.command("decide")
@click.argument("plan")
@click.argument("step", required=False)
@click.option("--accept", is_flag=True, help="Accept the step as advised.")
@click.option("--drop", is_flag=True, help="Do not do the step.")
@click.option("--replace", "replacement", metavar="ACTIVITY", help="Do ACTIVITY (an activity id) instead.")
@click.option("--add", "added", metavar="ACTIVITY", help="Add ACTIVITY as a step seqplan did not propose (no STEP).")
@click.option("--defer", is_flag=True, help="Not yet: the step waits for your review.")
@click.option("--reason", metavar="CODE", help="The coded reason (`seqplan record reasons`); needed to override.")
@click.option("--note", default="", help="Your reason in your own words.")
@db_options
@kb_option()
@user_errors
def record_decide(plan, step, accept, drop, replacement, added, defer, reason, note, db, by, kb_dir):
    """Decide about STEP (its id, S2, or its activity) of the draft PLAN (P1): accept, drop,
    replace or defer it, or add a step. A later decision about the same step replaces the
    earlier one in the plan; both stay in the record.

    \b
    Examples:
      seqplan record decide P1 S1 --accept
      seqplan record decide P1 S3 --defer --reason need-more-info --note "observe at school first"
      seqplan record decide P1 --add nature_walks --reason clinical-judgement --note "the family walks daily"
    """
    from planner.api import record_decide as decide
    from planner.record.db import RecordError

    chosen = [action for action, given in (("accept", accept), ("drop", drop), ("replace", replacement),
                                           ("defer", defer), ("add", added)) if given]
    if len(chosen) != 1:
        raise RecordError("give exactly one of --accept, --drop, --replace ACTIVITY, --defer, --add ACTIVITY")
    if (chosen[0] == "add") == bool(step):
        raise RecordError("--add takes no STEP; every other decision names one (like S2)")
    ident = decide(plan, step, chosen[0], replacement or added, reason, note, db, by, kb_dir)
    click.echo(f"D{ident}: recorded")


@record.command("sign")
@click.argument("plan")
@click.option("--role", required=True, help="Your role (e.g. therapist, clinical_psychologist).")
@db_options
@kb_option()
@user_errors
def record_sign(plan, role, db, by, kb_dir):
    """Sign PLAN with its decisions as they stand. A signed plan cannot be changed; the
    signature supersedes the child's previously signed plan.

    \b
    Example:
      seqplan record sign P1 --by "Dr A. Rivera" --role clinical_psychologist
    """
    from planner.api import record_sign as sign

    click.echo(f"G{sign(plan, role, db, by, kb_dir)}: signed")


@record.command("void")
@click.argument("kind", type=click.Choice(["assessment", "plan", "decision"]))
@click.argument("ident")
@click.option("--reason", required=True, metavar="CODE", help="The coded reason (`seqplan record reasons`).")
@click.option("--note", default="", help="Why, in your own words.")
@db_options
@kb_option()
@user_errors
def record_void(kind, ident, reason, note, db, by, kb_dir):
    """Void an assessment, plan or decision entered in error. It stays in the record,
    marked voided with your reason, and no longer counts.

    \b
    Example:
      seqplan record void decision D4 --reason clinical-judgement --note "entered for the wrong child"
    """
    from planner.api import record_void as void

    click.echo(f"V{void(kind, ident, reason, note, db, by, kb_dir)}: voided")


@record.command("show")
@click.argument("child")
@db_options
@kb_option()
@user_errors
def record_show(child, db, by, kb_dir):
    """CHILD's record in time order: assessments, plans, decisions, signatures. Reading it is
    recorded in the audit trail.

    \b
    Example:
      seqplan record show EX-001
    """
    from planner.api import record_show as show

    click.echo(show(child, db, by, kb_dir), nl=False)


@record.command("print")
@click.argument("plan")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("--audience", type=click.Choice(["therapist", "auditor", "trainer"]), default="therapist",
              show_default=True)
@click.option("--for", "reader", type=click.Choice(["caregiver", "teacher"]),
              help="The handout for this reader instead of the plan.")
@click.option("-o", "--output", type=PATH, help="Write to this file instead of stdout.")
@db_options
@kb_option()
@user_errors
def record_print(plan, fmt, audience, reader, output, db, by, kb_dir):
    """Print a stored PLAN with the clinician's decisions beside seqplan's advice, and its
    signature (or the handout for a caregiver or teacher, as decided).

    \b
    Examples:
      seqplan record print P1
      seqplan record print P1 --format html -o plan.html
      seqplan record print P1 --for caregiver
    """
    from planner.api import record_print as printed

    write_output(printed(plan, fmt, audience, reader, db, by, kb_dir), output)


@record.command("due")
@click.option("--weeks", default=4, show_default=True, type=click.IntRange(0, 520),
              help="Also list reviews due within this many weeks.")
@click.option("--on", "today", type=click.DateTime(["%Y-%m-%d"]), help="As of this date (default: today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@db_options
@kb_option()
@user_errors
def record_due(weeks, today, fmt, db, by, kb_dir):
    """Reviews due and overdue across the caseload, overdue first: the review date of each
    child's current plan (the latest signed, else the latest draft).

    \b
    Examples:
      seqplan record due --weeks 2
      seqplan record due --on 2027-01-01 --format json
    """
    from planner.api import record_due as due

    click.echo(due(weeks, today.date() if today else None, db, by, fmt, kb_dir), nl=False)


@record.command("export")
@click.argument("child")
@click.option("--format", "fmt", type=click.Choice(["json", "fhir"]), default="json", show_default=True,
              help="The whole record as JSON, or the current plan (as decided and signed) as a FHIR R4 Bundle.")
@click.option("--redact", is_flag=True, help="Leave out the name, the assessor and the notes (JSON).")
@click.option("-o", "--output", type=PATH, help="Write to this file instead of stdout.")
@db_options
@kb_option()
@user_errors
def record_export(child, fmt, redact, output, db, by, kb_dir):
    """CHILD's whole record as JSON, or the current plan (as decided and signed) as a FHIR R4
    Bundle. Exporting is recorded in the audit trail.

    \b
    Examples:
      seqplan record export EX-001 --redact -o EX-001.json
      seqplan record export EX-001 --format fhir -o EX-001.fhir.json
    """
    from planner.api import record_export as export

    from planner.record.db import RecordError

    if fmt == "fhir" and redact:
        raise RecordError("--redact: not with --format fhir (export the JSON record redacted)")
    write_output(export(child, db, by, redact, kb_dir, fmt), output)


@record.command("verify")
@click.option("--db", metavar="PATH|URL", help="The record (default: $SEQPLAN_DB, else ./seqplan-record.db).")
@kb_option()
@user_errors
def record_verify(db, kb_dir):
    """Check the audit trail's hash chain and every stored row against it. Exits 1 and
    names the first row edited, deleted or reordered if the record was tampered with.

    \b
    Example:
      seqplan record verify --db postgresql://seqplan@localhost:5432/seqplan
    """
    from planner.api import record_verify as verify

    intact, lines = verify(db, kb_dir)
    click.echo("\n".join(lines))
    raise SystemExit(0 if intact else 1)


@record.command("reproduce")
@click.argument("plan")
@db_options
@kb_option()
@user_errors
def record_reproduce(plan, db, by, kb_dir):
    """Re-plan a stored PLAN from its stored assessment and compare byte for byte, as
    `seqplan audit` does for files. Exits 1 if it is not reproduced.

    \b
    Example:
      seqplan record reproduce P1
    """
    from planner.api import record_reproduce as reproduce

    reproduced, lines = reproduce(plan, db, by, kb_dir)
    click.echo("\n".join(lines))
    raise SystemExit(0 if reproduced else 1)


@record.command("reasons")
@kb_option()
@user_errors
def record_reasons(kb_dir):
    """The coded reasons a decision or a void may carry (CDS Hooks' and seqplan's own).

    \b
    Example:
      seqplan record reasons
    """
    from planner.api import record_reasons as reasons

    for code, system, text in reasons(kb_dir):
        click.echo(f"{code}\t{text}\t{system}")
