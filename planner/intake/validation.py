"""Every problem with an assessment, from a path (a file, or a bundled example's name) or a
mapping a program already holds; and a mapping as a validated assessment."""
from __future__ import annotations

from planner.errors import InputError
from planner.intake.assessment import from_data, parse_with_lines, read_text, validation_errors
from planner.intake.examples import assessment_path


def validate_file(path, kb_dir=None):
    """Every problem with the assessment at ``path`` (an empty list when it is valid)."""
    from planner.kb.knowledge import load_knowledge_base

    path = assessment_path(path)
    if path.suffix.lower() == ".csv":       # one assessment per row: every problem of every row
        from planner.intake.csvinput import validate_csv
        return validate_csv(path, load_knowledge_base(kb_dir))
    text = read_text(path)
    try:
        data, lines = parse_with_lines(path, text)      # parsed once, with its line numbers
    except InputError as exc:
        return [exc]
    return validation_errors(data, path, text, load_knowledge_base(kb_dir), lines)


def mapping_data(value):
    """Any ``Mapping`` as a dict and any tuple as a list, recursively: the shapes a
    parsed YAML or JSON file has, so a mapping is validated exactly like a file."""
    from collections.abc import Mapping

    if isinstance(value, Mapping):
        return {k: mapping_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mapping_data(v) for v in value]
    return value


def from_mapping(mapping, kb, source="<data>"):
    """The validated assessment an assessment-shaped mapping holds (``mapping`` is not
    changed); the ``InputError`` a file would give, naming ``source``."""
    return from_data(mapping_data(mapping), source, kb=kb, more="call planner.api.validate_data for the full list")
