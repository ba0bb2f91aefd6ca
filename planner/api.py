"""Library functions behind each CLI command, importable by users."""
from __future__ import annotations


def plan_file(path, fmt="md", redact=False, kb_dir=None):
    """Plan the assessment at ``path`` and return the rendered text."""
    from .assessment import load_assessment
    from .knowledge import load_knowledge_base
    from .planning import make_plan
    from .render import render_plan

    kb = load_knowledge_base(kb_dir)
    return render_plan(make_plan(load_assessment(path, kb), kb, redact=redact), fmt)


def validate_file(path, kb_dir=None):
    """Every problem with the assessment at ``path`` (an empty list when it is valid)."""
    from pathlib import Path

    from .assessment import _parse, read_text, validation_errors
    from .errors import InputError
    from .knowledge import load_knowledge_base

    path = Path(path)
    text = read_text(path)
    try:
        data = _parse(path, text)
    except InputError as exc:
        return [exc]
    return validation_errors(data, path, text, load_knowledge_base(kb_dir))
