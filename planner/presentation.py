"""The presentation digest: one fingerprint of the files that word and lay out seqplan's outputs
without being knowledge (templates/: the Jinja templates and the tables beside them, such as
explain.yaml and fhir-r4.yaml). Every plan is stamped with it beside the knowledge base's digest,
so a changed output is traced to the knowledge or to its presentation, never to neither. The web
page's own templates (planner/web/templates) are not in it: they lay out the page, not a plan's
outputs, and every download from the page is rendered through templates/."""
from __future__ import annotations

from pathlib import Path

from planner.kb.knowledge import digest_files
from planner.resources import data_dir

PATTERNS = ("*.j2", "*.yaml")     # the kinds of file in templates/ an output is made from
_MEMO = {}


def files(directory=None):
    """The presentation files, relative to ``directory`` (default: the bundled templates/), in name order."""
    directory = Path(directory) if directory else data_dir("templates")
    return sorted({p.relative_to(directory).as_posix() for pattern in PATTERNS for p in directory.rglob(pattern)
                   if p.is_file()})


def digest(directory=None):
    """The digest of every presentation file (relative name and bytes, in name order), taken as
    the knowledge base's is. Kept while no file's size or time changes: a batch reads the files
    once, and a long-running server stamps a template's change from then on."""
    directory = Path(directory) if directory else data_dir("templates")
    names = files(directory)
    stats = [(directory / rel).stat() for rel in names]
    key = (str(directory.resolve()), tuple((rel, s.st_mtime_ns, s.st_size) for rel, s in zip(names, stats)))
    if key not in _MEMO:
        _MEMO.clear()
        _MEMO[key] = digest_files({rel: (directory / rel).read_bytes() for rel in names})
    return _MEMO[key]
