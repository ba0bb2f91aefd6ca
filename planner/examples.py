"""The bundled example assessments (``seqplan examples``, ``seqplan plan --example``)."""
from __future__ import annotations

from .errors import InputError
from .resources import data_dir


def example_paths():
    """Example name -> path, sorted by name."""
    return {p.stem: p for p in sorted(data_dir("examples").glob("*.yaml"))}


def describe(path):
    """The first comment line of an example file, without its 'Bundled example:' prefix."""
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").removeprefix("Bundled example: ")
    return ""


def example_path(name):
    """Path of the bundled example ``name``; an ``InputError`` with a suggestion otherwise."""
    from .assessment import suggest

    paths = example_paths()
    if name not in paths:
        hint = suggest(name, paths) or f"available: {', '.join(paths)}"
        raise InputError("--example", name, "no such bundled example", hint)
    return paths[name]
