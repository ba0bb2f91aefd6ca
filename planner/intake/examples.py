"""The bundled example assessments (``seqplan examples``, ``seqplan plan --example``) and
teaching vignettes (``seqplan vignettes``); a FILE argument may name any of them."""
from __future__ import annotations

from planner.errors import InputError
from planner.resources import data_dir


def assessment_path(path):
    """``path`` as given, or the bundled example or teaching vignette of that name when no
    such file exists."""
    from pathlib import Path

    if not Path(path).exists() and str(path) in bundled_paths():
        return bundled_paths()[str(path)]
    return Path(path)


def example_paths():
    """Example name -> path, sorted by name."""
    return {p.stem: p for p in sorted(data_dir("examples").glob("*.yaml"))}


def vignette_paths():
    """Teaching vignette name -> path, sorted by name (``seqplan vignettes``)."""
    return {p.stem: p for p in sorted(data_dir("vignettes").glob("*.yaml"))}


def bundled_paths():
    """Every bundled assessment a FILE argument may name: the examples, then the vignettes."""
    return {**example_paths(), **vignette_paths()}


def vignette_note(name):
    """The teaching note of vignette ``name`` (a mapping), or None when it has none."""
    import yaml

    path = data_dir("vignettes") / "notes" / f"{name}.yaml"
    return yaml.safe_load(path.read_text("utf-8")) if path.is_file() else None


def describe(path):
    """The first comment line of a bundled file, without its 'Bundled example:' or
    'Teaching vignette:' prefix."""
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").removeprefix("Bundled example: ").removeprefix("Teaching vignette: ")
    return ""


def example_path(name):
    """Path of the bundled example ``name``; an ``InputError`` with a suggestion otherwise."""
    from planner.intake.assessment import suggest

    paths = example_paths()
    if name not in paths:
        hint = suggest(name, paths) or f"available: {', '.join(paths)}"
        raise InputError("--example", name, "no such bundled example", hint)
    return paths[name]
