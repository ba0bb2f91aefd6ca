"""The ``seqplan`` command: thin click wrappers over the library (imports stay lazy)."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from . import __version__

FORMAT_CHOICES = click.Choice(["md", "json"])


def _fail(exc):
    """Print a user error as one line and exit 2: no traceback, no output file."""
    click.echo(f"seqplan: error: {exc}", err=True)
    sys.exit(exc.exit_code)


def write_output(text, out, protect=()):
    """Write ``text`` to stdout, or atomically to ``out`` (never a half-written file,
    never over the input it was made from)."""
    if out is None or str(out) == "-":
        click.echo(text, nl=False)
        return
    out = Path(out)
    if any(out.resolve() == Path(p).resolve() for p in protect):
        from .errors import InputError
        raise InputError(out, "-o", "would overwrite the input file", "choose another output path")
    directory = out.parent if str(out.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise


def _assessment_path(file, example):
    from .errors import InputError
    from .examples import example_path

    if bool(file) == bool(example):
        raise InputError("seqplan plan", None, "give exactly one assessment",
                         "pass a FILE or --example NAME (see `seqplan examples`)")
    return Path(file) if file else example_path(example)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--example", metavar="NAME", help="Plan a bundled example instead of FILE (see `seqplan examples`).")
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="md", show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("--redact", is_flag=True, help="Leave the client's name out of the output.")
@click.option("--kb", "kb_dir", type=click.Path(file_okay=False), help="Plan with another knowledge-base directory.")
def plan(file, example, fmt, output, redact, kb_dir):
    """Plan one assessment FILE (YAML or JSON) and print the plan.

    \b
    Examples:
      seqplan plan child.yaml
      seqplan plan child.yaml --format json -o plan.json --redact
      seqplan plan --example teen-cortical
    """
    from .errors import SeqplanError

    try:
        from . import api

        path = _assessment_path(file, example)
        text = api.plan_file(path, fmt=fmt, redact=redact, kb_dir=kb_dir)
        write_output(text, output, protect=[path])
    except SeqplanError as exc:
        _fail(exc)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file):
    """Check an assessment FILE against the format and the function catalogue.

    Prints every problem, one per line, and exits 2 if there is any.

    \b
    Example:
      seqplan validate child.yaml
    """
    from .errors import SeqplanError

    try:
        from .api import validate_file

        problems = validate_file(file)
    except SeqplanError as exc:
        _fail(exc)
    for problem in problems:
        click.echo(f"seqplan: error: {problem}", err=True)
    if problems:
        sys.exit(2)
    click.echo(f"{file}: valid")


@main.command()
def examples():
    """List the bundled example assessments.

    \b
    Example:
      seqplan examples
    """
    from .examples import describe, example_paths

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


KB_OPTION = click.option("--kb", "kb_dir", type=click.Path(file_okay=False),
                         help="Knowledge-base directory (default: the bundled one).")


@kb.command("check")
@KB_OPTION
def kb_check(kb_dir):
    """Check the knowledge base: schemas, references, rules that can never fire,
    negations that are not layered, step/deferral conflicts. Exits 1 on any problem.

    \b
    Example:
      seqplan kb check --kb ./my-knowledge-base
    """
    from .errors import SeqplanError

    try:
        from .api import check_knowledge_base

        summary, problems = check_knowledge_base(kb_dir)
    except SeqplanError as exc:
        _fail(exc)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(summary)
    if problems:
        sys.exit(1)


@kb.command("coverage")
@KB_OPTION
@click.option("--features", "features_dir", type=click.Path(file_okay=False, exists=True), default="features",
              show_default=True, help="Directory of Gherkin feature files tagged @rule:<ID>.")
def kb_coverage(kb_dir, features_dir):
    """Report which active rules have a scenario tagged @rule:<ID>; exits 1 below 100%.

    \b
    Example:
      seqplan kb coverage --features features
    """
    from .errors import SeqplanError

    try:
        from .api import rule_coverage

        report, complete = rule_coverage(features_dir, kb_dir)
    except SeqplanError as exc:
        _fail(exc)
    click.echo(report)
    if not complete:
        sys.exit(1)


@kb.command("list")
@click.argument("what", type=click.Choice(["functions", "activities", "rules", "parameters"]))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@KB_OPTION
def kb_list(what, fmt, kb_dir):
    """List the functions, activities, rules or parameters of the knowledge base.

    \b
    Examples:
      seqplan kb list activities
      seqplan kb list rules --format json
    """
    from .errors import SeqplanError

    try:
        from .api import list_knowledge

        click.echo(list_knowledge(what, fmt, kb_dir), nl=False)
    except SeqplanError as exc:
        _fail(exc)


if __name__ == "__main__":   # pragma: no cover
    main()
