"""Where the bundled data lives: inside the installed package, or beside it in a checkout."""
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def data_dir(name):
    """Return the directory ``name`` (knowledge_base, templates, examples, schemas).

    A wheel installs them as ``planner/<name>``; in a source checkout they sit at the
    top of the repository, next to ``planner/``.
    """
    for base in (_HERE, _HERE.parent):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"seqplan data directory {name!r} is missing from the installation")
