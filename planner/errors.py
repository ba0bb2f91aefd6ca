"""Errors the user can act on. The CLI prints them as one line and exits 2."""


class SeqplanError(Exception):
    """Base class: a problem with the user's input or knowledge base, not a bug."""

    exit_code = 2


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
