"""Replacing a file atomically: the one way seqplan writes a file (plans, batch outputs,
caches), so a reader never sees half of one and a failure leaves nothing behind."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def umask():
    """The process's file-creation mask (read without changing it for longer than a call)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_atomically(path, data, mode=0o600, sync=False, prepare=None):
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` through a temporary file beside it
    (mode 0600 while written: a crash leaves nothing another user can read), give it ``mode``,
    let ``prepare(temporary path)`` finish it (owner, group), then rename it over ``path``.
    ``sync`` flushes it to disk first (one file the user asked for; a batch of thousands
    skips it: the rename alone still leaves the whole file or none). The temporary file is
    removed on any failure, including an interrupt."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if prepare:
            prepare(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_new(path, text):
    """Write ``text`` to ``path`` through a temporary file: never a half-written file, with a
    new file's usual permissions. Unlike ``planner.outputs.output.write_file`` (one ``-o`` file)
    there is no fsync per file: a batch writes thousands (about 6 ms each here)."""
    replace_atomically(path, text, mode=0o666 & ~umask())
