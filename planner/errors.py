"""Errors the user can act on. The CLI prints them as one line and exits 2."""
import re

# C0/C1 controls, DEL, line/paragraph separators, bidi overrides and lone surrogates:
# shown escaped, so a message is one line and cannot drive the terminal.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def one_line(text):
    """``text`` with every control character shown as an escape (\\n, \\x1b, ...)."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


class SeqplanError(Exception):
    """Base class: a problem with the user's input or knowledge base, not a bug."""

    exit_code = 2

    def __str__(self):
        return one_line(super().__str__())


class InputError(SeqplanError):
    """An assessment file that cannot be planned: names the file, the field and the fix."""

    def __init__(self, file, field, problem, fix=None, line=None):
        self.file, self.field, self.problem, self.fix, self.line = file, field, problem, fix, line
        where = str(file) + (f":{line}" if line else "")
        text = f"{where}: {field}: {problem}" if field else f"{where}: {problem}"
        if fix:
            text += f" ({fix})"
        super().__init__(text)


class KnowledgeBaseError(SeqplanError):
    """A knowledge base that fails its schema or references."""


class EngineError(SeqplanError):
    """The rule engine failed while planning: a defect in the knowledge base (or seqplan)."""


class Withheld(SeqplanError):
    """Output seqplan declines to write for safety (e.g. a home handout while an adult of the
    household may harm the child). Exit 1: the input is valid; the plan itself says why."""

    exit_code = 1
