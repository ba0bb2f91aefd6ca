"""What every ``seqplan`` command shares: path checking, one-line errors, output writing."""
from __future__ import annotations

import functools
import sys

import click

# Paths are checked when used, each problem as one line (click's own check of readability
# printed a three-line usage error).
PATH = click.Path(readable=False)
FORMAT_CHOICES = click.Choice(["md", "json", "html"])
PLAN_FORMAT_CHOICES = click.Choice(["md", "json", "html", "fhir"])   # planner.outputs.render.FORMATS (imported lazily)


def _fail(exc):
    """Print a user error as one line and exit 2: no traceback, no output file."""
    click.echo(f"seqplan: error: {exc}", err=True)
    sys.exit(exc.exit_code)


def user_errors(command):
    """Report a ``SeqplanError`` raised by ``command`` as one line with its exit code."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from planner.errors import SeqplanError

        try:
            return command(*args, **kwargs)
        except SeqplanError as exc:
            _fail(exc)

    return wrapper


def write_output(text, out, protect=()):
    """Write ``text`` to stdout, or to the file ``out`` (atomically, only to a regular
    file, never over the input it was made from: see planner.outputs.output)."""
    if out is None or str(out) == "-":
        click.echo(text, nl=False)
        return
    from planner.outputs.output import write_file

    write_file(text, out, protect)


def kb_option():
    """The --kb option shared by every command that reads the knowledge base."""
    return click.option("--kb", "kb_dir", type=PATH,
                        help="Knowledge-base directory (default: the bundled one).")


class OneLineErrors(click.Group):
    """The ``seqplan`` group: a mistake on the command line (an unknown option, a value of
    the wrong kind) is one line with the fix and exit 2, like every other bad input, not
    click's four-line usage block."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":        # `seqplan` alone: its help
                click.echo(exc.ctx.get_help())
                sys.exit(0)
            where = exc.ctx.command_path if exc.ctx else "seqplan"
            click.echo(f"seqplan: error: {where}: {exc.format_message().rstrip('.')} (see `{where} --help`)",
                       err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"seqplan: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
