"""The ``seqplan`` command: thin click wrappers over the library (imports stay lazy)."""
from __future__ import annotations

import sys

import click

from planner.version import __version__
from planner.cli_common import (FORMAT_CHOICES, PATH, PLAN_FORMAT_CHOICES, OneLineErrors, kb_option, user_errors,
                                write_output)
from planner.cli_record import record
from planner.cli_users import users


def _assessment_path(file, example):
    from planner.errors import InputError
    from planner.intake.examples import example_path

    if bool(file) == bool(example):
        raise InputError("seqplan plan", None, "give exactly one assessment",
                         "pass a FILE or --example NAME (see `seqplan examples`)")
    return file if file else example_path(example)


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seqplan")
def main():
    """seqplan: sequenced, justified treatment plans from a child's assessment.

    An independent tool informed by the Neurosequential Model of Therapeutics (NMT);
    not the NMT Metric. It supports, and does not replace, clinical judgement.

    \b
    Example:
      seqplan plan --example young-child-brainstem
    """


@main.command()
@click.argument("file", required=False, type=PATH)
@click.option("--example", metavar="NAME", help="Plan a bundled example instead of FILE (see `seqplan examples`).")
@click.option("--format", "fmt", type=PLAN_FORMAT_CHOICES, default="md", show_default=True,
              help="Output format (fhir: a FHIR R4 Bundle, see docs/fhir.md).")
@click.option("-o", "--output", type=PATH, help="Write to this file instead of stdout.")
@click.option("--redact", is_flag=True, help="Leave the client's name out of the output.")
@click.option("--audience", type=click.Choice(["therapist", "trainer", "auditor"]), default="therapist",
              show_default=True, help="Markdown for a therapist, a trainer (adds principles and the path through "
                                      "the phases) or an auditor (adds digests and the full trace).")
@kb_option()
@user_errors
def plan(file, example, fmt, output, redact, audience, kb_dir):
    """Plan one assessment FILE (YAML or JSON) and print the plan (Markdown, JSON, a
    self-contained HTML report with the Functional Brain Map, or a FHIR R4 Bundle).

    \b
    Examples:
      seqplan plan child.yaml
      seqplan plan child.yaml --format json -o plan.json --redact
      seqplan plan child.yaml --format html -o plan.html
      seqplan plan child.yaml --format fhir -o plan.fhir.json
      seqplan plan --example teen-cortical --audience trainer
    """
    from planner import api

    path = _assessment_path(file, example)
    text = api.plan_file(path, fmt=fmt, redact=redact, kb_dir=kb_dir, audience=audience)
    write_output(text, output, protect=[api.assessment_path(path)])


@main.command()
@click.argument("file", type=PATH)
@kb_option()
@user_errors
def validate(file, kb_dir):
    """Check an assessment FILE against the format and the function catalogue.

    Prints every problem, one per line, and exits 2 if there is any.

    \b
    Example:
      seqplan validate child.yaml
    """
    from planner.api import validate_file

    from planner.api import vocabulary_readings, vocabulary_warnings

    problems = validate_file(file, kb_dir)
    for problem in problems:
        click.echo(f"seqplan: error: {problem}", err=True)
    if problems:
        sys.exit(2)
    for field, word, known in vocabulary_warnings(file, kb_dir):
        if known:
            click.echo(f"seqplan: warning: {file}: {field}: {word!r} is a known interest, but no activity in the "
                       f"catalogue carries it (the plan lists it to confirm)", err=True)
        else:
            click.echo(f"seqplan: warning: {file}: {field}: {word!r} matches nothing in the knowledge base's "
                       f"vocabulary (the plan lists it as not checked or to confirm; add it to "
                       f"knowledge_base/vocabulary.yaml if it names something seqplan knows)", err=True)
    if not str(file).lower().endswith(".csv"):
        corrected, noted = vocabulary_readings(file, kb_dir)
        for field, written, read_as in corrected:
            click.echo(f"seqplan: warning: {file}: {field}: {written!r} read as {read_as!r} (a close spelling); "
                       f"correct the file if that is wrong", err=True)
        for field, written in noted:
            click.echo(f"seqplan: note: {file}: {field}: {written!r} noted; no activity involves it", err=True)
    click.echo(f"{file}: valid")


def explain_format():
    """The --format option of why and why-not."""
    return click.option("--format", "fmt", type=click.Choice(["text", "md", "json", "rules"]), default="text",
                        show_default=True,
                        help="The sentence then the tree in words (text, md, json), or the engine's own facts "
                             "and conditions with the values found and required (rules).")


@main.command()
@click.argument("file", type=PATH)
@click.argument("target")
@explain_format()
@kb_option()
@user_errors
def why(file, target, fmt, kb_dir):
    """Why the plan for FILE holds TARGET: a step id such as S1, an activity's id or name as
    the plan shows it (in any case), an objective id such as O1, a caution or a referral's
    service. One plain sentence, then the chain of rules and facts behind it as a tree, each
    fact in words down to the assessment's ratings, with the sources. FILE may also name a
    bundled example.

    \b
    Examples:
      seqplan why child.yaml S1
      seqplan why young-child-brainstem drumming --format md
      seqplan why young-child-brainstem "Music and movement" --format rules
    """
    from planner.api import explain, explain_how

    click.echo(explain_how(file, target, kb_dir) if fmt == "rules" else explain(file, target, fmt, kb_dir), nl=False)


@main.command("why-not")
@click.argument("file", type=PATH)
@click.argument("activity")
@explain_format()
@kb_option()
@user_errors
def why_not(file, activity, fmt, kb_dir):
    """Why ACTIVITY (an activity's id, or its name as the plan shows it) is not a step of the
    plan for FILE: one plain sentence (it waits, and for what; it is not recommended now; it
    needs a referral; it is an alternative; nothing proposed it), then the rules and facts
    behind it as a tree in words. `--format rules`: each condition with its value, what would
    change it, or each proposing rule condition by condition.

    \b
    Examples:
      seqplan why-not young-child-brainstem storytelling
      seqplan why-not young-child-brainstem "Contact with animals" --format md
      seqplan why-not young-child-brainstem cbt --format rules
    """
    from planner.api import explain, explain_why_not

    click.echo(explain_why_not(file, activity, kb_dir) if fmt == "rules"
               else explain(file, activity, fmt, kb_dir, why_not=True), nl=False)


@main.command()
@click.argument("file", type=PATH)
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl"]), default="text", show_default=True,
              help="One line per firing: text, or JSON Lines with the matched and concluded facts inline.")
@kb_option()
@user_errors
def trace(file, fmt, kb_dir):
    """Every rule firing for FILE, in order: rule id, matched facts, concluded facts.

    \b
    Example:
      seqplan trace child.yaml --format jsonl > trace.jsonl
    """
    from planner.api import trace_text

    click.echo(trace_text(file, fmt, kb_dir), nl=False)


@main.command()
@click.argument("plan_json", metavar="PLAN.json", type=PATH)
@click.argument("file", type=PATH)
@kb_option()
@user_errors
def audit(plan_json, file, kb_dir):
    """Re-plan FILE and check that PLAN.json (made with --format json) follows from it.

    Prints "reproduced" (exit 0), or each difference: input changed, knowledge base
    changed, which steps, deferrals and justifications differ (exit 1).

    \b
    Example:
      seqplan plan child.yaml --format json -o plan.json
      seqplan audit plan.json child.yaml
    """
    from planner.api import audit_plan

    reproduced, lines = audit_plan(plan_json, file, kb_dir)

    click.echo("\n".join(lines))
    if not reproduced:
        sys.exit(1)


@main.command()
@click.argument("file", type=PATH)
@click.option("--kb-a", required=True, type=PATH, help="The first knowledge-base directory.")
@click.option("--kb-b", required=True, type=PATH, help="The second knowledge-base directory.")
@user_errors
def diff(file, kb_a, kb_b):
    """How the plan for FILE changes between two knowledge-base versions: steps,
    deferrals, exclusions, regions, review and justifications.

    \b
    Example:
      seqplan diff child.yaml --kb-a kb-v1 --kb-b kb-v2
    """
    from planner.api import diff_knowledge_bases

    click.echo("\n".join(diff_knowledge_bases(file, kb_a, kb_b)))


@main.command("map")
@click.argument("file", type=PATH)
@click.option("-o", "--output", type=PATH, help="Write the SVG to this file instead of stdout.")
@click.option("--redact", is_flag=True, help="Leave the client's name out of the map's title.")
@kb_option()
@user_errors
def brain_map(file, output, redact, kb_dir):
    """Draw the Functional Brain Map of FILE as SVG: an inverted triangle, brainstem at
    the bottom, each function a cell coloured by its band, with a legend and a text
    alternative. FILE may also name a bundled example.

    \b
    Example:
      seqplan map child.yaml -o map.svg
    """
    from planner.api import assessment_path, brain_map

    write_output(brain_map(file, kb_dir, redact), output, protect=[assessment_path(file)])


@main.command()
@click.argument("files", nargs=-1, required=True, type=PATH, metavar="OLD NEW [LATER...]")
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="md", show_default=True, help="Output format.")
@click.option("-o", "--output", type=PATH, help="Write to this file instead of stdout.")
@click.option("--redact", is_flag=True, help="Leave the client's name out of the output.")
@kb_option()
@user_errors
def progress(files, fmt, output, redact, kb_dir):
    """Progress over two or more assessments of the same client, given in any order and
    taken in date order: a trend of the four region means and relational health (a chart
    in HTML), per function and region
    the change and band transitions, and, between each pair of consecutive assessments, the
    gates opened or closed and how the plan changed.

    \b
    Examples:
      seqplan progress robin-2026-03.yaml robin-2026-10.yaml --format html -o progress.html
      seqplan progress a.yaml b.yaml c.yaml --format md
    """
    from planner.api import assessment_path, progress_report
    from planner.errors import InputError

    if len(files) < 2:
        raise InputError("seqplan progress", "FILE", "needs at least two assessments",
                         "pass two or more assessments of one client, in any order: seqplan progress OLD NEW [LATER...]")
    text = progress_report(*files, fmt=fmt, kb_dir=kb_dir, redact=redact)
    write_output(text, output, protect=[assessment_path(f) for f in files])


@main.command()
def examples():
    """List the bundled example assessments.

    \b
    Example:
      seqplan examples
    """
    from planner.intake.examples import describe, example_paths

    for name, path in example_paths().items():
        click.echo(f"{name}\t{describe(path)}")


@main.group()
def kb():
    """Inspect and test the knowledge base.

    \b
    Examples:
      seqplan kb check
      seqplan kb coverage --features features
      seqplan kb list activities --format json
    """


@kb.command("check")
@kb_option()
@user_errors
def kb_check(kb_dir):
    """Check the knowledge base: schemas, references, rules that can never fire,
    negations that are not layered, step/deferral conflicts. Exits 1 on any problem.

    \b
    Example:
      seqplan kb check --kb ./my-knowledge-base
    """
    from planner.api import check_knowledge_base
    from planner.errors import one_line

    summary, problems = check_knowledge_base(kb_dir)

    for problem in problems:
        click.echo(f"error: {one_line(problem)}", err=True)
    click.echo(summary)
    if problems:
        sys.exit(1)


@kb.command("coverage")
@kb_option()
@click.option("--features", "features_dir", type=PATH, default="features",
              show_default=True, help="Directory of Gherkin feature files tagged @rule:<ID>.")
@user_errors
def kb_coverage(kb_dir, features_dir):
    """Report which active rules have a scenario tagged @rule:<ID>; exits 1 below 100%.

    \b
    Example:
      seqplan kb coverage --features features
    """
    from planner.api import rule_coverage

    report, complete = rule_coverage(features_dir, kb_dir)

    click.echo(report)
    if not complete:
        sys.exit(1)


@kb.command("list")
@click.argument("what", type=click.Choice(["functions", "activities", "rules", "parameters"]))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@kb_option()
@user_errors
def kb_list(what, fmt, kb_dir):
    """List the functions, activities, rules or parameters of the knowledge base.

    \b
    Examples:
      seqplan kb list activities
      seqplan kb list rules --format json
    """
    from planner.api import list_knowledge

    click.echo(list_knowledge(what, fmt, kb_dir), nl=False)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=PATH, metavar="INPUT...")
@click.option("-o", "--output", "outdir", required=True, type=PATH,
              help="Directory for the plans, errors, caseload.html, caseload.json and caseload.csv.")
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="md", show_default=True, help="Format of each plan.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores). Output is the same whatever it is.")
@click.option("--redact", is_flag=True, help="Leave the clients' names out of the plans and the caseload.")
@click.option("--overwrite", is_flag=True,
              help="Replace OUTDIR whole when it holds a previous batch's output: its plans, errors and "
                   "caseload files are deleted, including any edits or notes written into them; keep a copy "
                   "first if you need them. Refused, deleting nothing, if OUTDIR holds any other file.")
@click.option("--on", "today", type=click.DateTime(["%Y-%m-%d"]),
              help="Count reviews overdue and due soon as of this date (default: today).")
@kb_option()
@user_errors
def batch(inputs, outdir, fmt, jobs, redact, overwrite, today, kb_dir):
    """Plan a caseload: every assessment file, directory of them, and CSV file (one
    assessment per row) among INPUT... Writes one plan per assessment into OUTDIR, named
    by client id and date, with the caseload summary (caseload.html, caseload.json and
    caseload.csv: reviews overdue and due soon, referrals, high arousal, low relational
    health, and a table of the children). A bad assessment does
    not stop the batch: its problems go to OUTDIR/errors and the exit code is 1.
    OUTDIR must be new or empty, so that it holds only this run's plans (see --overwrite).

    \b
    Examples:
      seqplan batch assessments/ -o plans/
      seqplan batch caseload.csv more.yaml -o plans/ --format html --jobs 2
      seqplan batch assessments/ -o plans/ --on 2027-01-01
    """
    from planner.api import plan_batch

    result = plan_batch(inputs, outdir, fmt=fmt, jobs=jobs, redact=redact, kb_dir=kb_dir,
                        progress=sys.stderr.isatty(), overwrite=overwrite, on=today.date() if today else None)
    for line in result.error_lines():
        click.echo(f"seqplan: error: {line}", err=True)
    click.echo(f"{len(result.planned)} planned, {len(result.failed)} failed: {result.outdir}")
    if result.failed:
        sys.exit(1)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv"]), default="yaml", show_default=True,
              help="A YAML assessment file, or a CSV file with one assessment per row.")
@click.option("-o", "--output", type=PATH, help="Write to this file instead of stdout.")
@kb_option()
@user_errors
def template(fmt, output, kb_dir):
    """Write a blank assessment to fill in: every function id with its rating guidance
    (as comments in YAML; as a header row and comment rows in CSV).

    \b
    Examples:
      seqplan template -o child.yaml
      seqplan template --format csv -o caseload.csv
    """
    from planner.api import blank_assessment

    write_output(blank_assessment(fmt, kb_dir), output)


@main.command()
@click.argument("file", type=PATH)
@click.option("--for", "reader", type=click.Choice(["caregiver", "teacher"]), required=True,
              help="Who reads it: the child's caregiver (home) or teacher (school).")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True,
              help="Markdown, or a self-contained HTML page that prints on one sheet.")
@click.option("-o", "--output", type=PATH, help="Write to this file instead of stdout.")
@click.option("--redact", is_flag=True, help="Leave the client's name (and what else redaction withholds) out.")
@kb_option()
@user_errors
def handout(file, reader, fmt, output, redact, kb_dir):
    """A one-page handout of the plan for FILE, in plain words, for the adults who do most
    of it: what to do, how often and how long, how it fits the day, signs the child enjoys
    it and signs to stop, what to do when the child is upset, and who to ask.

    \b
    Examples:
      seqplan handout child.yaml --for caregiver
      seqplan handout young-child-brainstem --for teacher --format html -o teacher.html
    """
    from planner.api import assessment_path, handout_file

    write_output(handout_file(file, reader, fmt, redact, kb_dir), output, protect=[assessment_path(file)])


# ---------------------------------------------------------------- trainer mode (issue 11)


@main.command()
@click.argument("file", type=click.Path())
@click.option("--set", "sets", metavar="FIELD=VALUE", multiple=True, required=True,
              help="A change to try (repeatable): FUNCTION=SCORE (0-12, or 'none' for unrated), "
                   "current.arousal=STATE, current.relational_health=N, context.avoid=a,b (also interests, "
                   "team, settings), client.age_years=N, history.PERIOD.adversity=N.")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@kb_option()
@user_errors
def whatif(file, sets, fmt, kb_dir):
    """Plan FILE as it is and as changed by each --set, and print what changed: regions
    and bands, gates opened or closed, steps added, removed or moved, deferrals, each with
    the rules that made the difference. FILE is never modified; it may name a bundled
    example or teaching vignette.

    \b
    Examples:
      seqplan whatif child.yaml --set sleep=9 --set current.arousal=calm
      seqplan whatif state-before-scores --set current.arousal=alert --format json
      seqplan whatif child.yaml --set context.avoid=touch,noise
    """
    from planner.api import whatif_report

    click.echo(whatif_report(file, list(sets), fmt, kb_dir), nl=False)


@main.command()
@click.argument("file", type=click.Path())
@click.option("--layer", metavar="NAME", help="Only this layer (e.g. summarise, focus, propose, judge).")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@kb_option()
@user_errors
def steps(file, layer, fmt, kb_dir):
    """The reasoning for FILE layer by layer: each rule firing with its rule, its
    justification and the facts it matched, in an order a trainer can read aloud.
    FILE may name a bundled example or teaching vignette.

    \b
    Examples:
      seqplan steps bottom-up-start
      seqplan steps child.yaml --layer focus
    """
    from planner.api import steps_text

    click.echo(steps_text(file, layer, fmt, kb_dir), nl=False)


@main.command()
@click.argument("name", required=False)
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True,
              help="Format of a teaching note (with NAME).")
@user_errors
def vignettes(name, fmt):
    """List the bundled teaching vignettes, or print the teaching note of NAME (what it
    teaches, questions for trainees, the what-if to try and what trainees should see).
    Every command that takes FILE accepts a vignette name.

    \b
    Examples:
      seqplan vignettes
      seqplan vignettes state-before-scores
      seqplan plan state-before-scores --audience trainer
    """
    from planner.api import list_vignettes, vignette_note_text

    if name:
        click.echo(vignette_note_text(name, fmt), nl=False)
        return
    for vignette, description, _ in list_vignettes():
        click.echo(f"{vignette}\t{description}")



@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Keep the default: the page is for this machine only.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--db", metavar="PATH|URL", help="Also serve this case record (an SQLite file or a postgresql:// URL; "
              "default: $SEQPLAN_DB): caseload, children, plan review and sign-off, audit.")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="Serve HTTPS with this certificate (PEM).")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="The certificate's private key (PEM).")
@kb_option()
@user_errors
def serve(host, port, db, cert, key, kb_dir):
    """Start the web page on this machine: the trainer's page (vignettes and examples, move
    any rating and watch the map, the plan and the reasoning change; nothing stored), and
    with --db the case record (caseload, a child's progress, new assessments, plan review
    and sign-off, audit). Once `seqplan users add` has added a user, or bound to another
    address, everyone logs in. Nothing is fetched from the network. Stop it with Ctrl-C.

    \b
    Example:
      seqplan serve
      (then open http://127.0.0.1:8765/ in a browser)
      seqplan serve --db clinic.db --port 9000
    """
    from planner.web.server import run

    run(host, port, kb_dir, db, cert, key)


main.add_command(record)
main.add_command(users)

if __name__ == "__main__":   # pragma: no cover
    main()
