"""Writing an output file (``-o``) safely: the whole file or nothing, and only to a file.

- Only a regular file (or a new path) is written, atomically: a temporary file beside it
  (mode 0600, so a crash leaves nothing another user can read), then ``os.replace``.
  A symbolic link to a regular file is followed: the file it names is replaced, the link
  stays. A directory, a FIFO, a device (``/dev/null``, ``/dev/stdout``), a socket, a
  dangling link, ``-o ""`` and a path ending in ``/`` are refused with one line.
- An existing file keeps its permission bits (and owner and group where allowed).
- SIGTERM, SIGINT and SIGHUP during the write remove the temporary file.
"""
from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import threading
from pathlib import Path

from planner.errors import InputError

_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))


class _Stopped(BaseException):
    """A stop signal arrived during the write."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_interrupt():
    """Turn stop signals into an exception while the temporary file exists (main thread
    only: Python delivers signals there), so ``finally`` can remove it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise _Stopped(signum)

    previous = {}
    for signum in _STOP_SIGNALS:
        try:
            previous[signum] = signal.signal(signum, stop)
        except (ValueError, OSError):
            pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def target_of(out, protect=()):
    """(path to write, existing file's stat or None), or an ``InputError`` saying why not."""
    text = os.fspath(out)
    if text == "":
        raise InputError('""', "-o", "is an empty path", "give a file name, or leave out -o to print the output")
    if text.endswith(("/", os.sep)):
        raise InputError(text, "-o", "ends with a slash, so it names a directory", "give a file name")
    path = Path(text)
    try:
        if any(path.resolve() == Path(p).resolve() for p in protect):
            raise InputError(path, "-o", "would overwrite the input file", "choose another output path")
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise InputError(path, "-o", "is a symbolic link to nothing", "give the path of a file")
        if not path.parent.is_dir():
            raise InputError(path, "-o", "its directory does not exist", "create the directory first")
        return path, None
    except RuntimeError:          # Path.resolve on a symbolic link loop (Python < 3.13)
        raise InputError(path, "-o", "is a loop of symbolic links", "give the path of a file")
    except OSError as exc:
        problem = "is a loop of symbolic links" if exc.errno == errno.ELOOP else f"cannot be written ({exc.strerror})"
        raise InputError(path, "-o", problem, "give the path of a file")
    if stat.S_ISDIR(info.st_mode):
        raise InputError(path, "-o", "is a directory", "give a file name inside it")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(path, "-o", "is not a regular file (a device, pipe or socket)",
                         "write to a file, or leave out -o to print the output")
    return (path.resolve() if path.is_symlink() else path), info


def write_file(text, out, protect=()):
    """Write ``text`` (UTF-8) to the file ``out``: atomically, never anything but a file."""
    from planner.files import replace_atomically, umask

    path, existing = target_of(out, protect)

    def keep_owner(tmp):
        if existing is not None:
            with contextlib.suppress(OSError):
                os.chown(tmp, existing.st_uid, existing.st_gid)

    mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~umask()
    try:
        with _signals_interrupt():
            replace_atomically(path, text, mode, sync=True, prepare=keep_owner)
    except _Stopped as stopped:
        # re-deliver the signal with its usual meaning, now that nothing is left behind
        signal.signal(stopped.signum, signal.SIG_DFL)
        os.kill(os.getpid(), stopped.signum)
        raise SystemExit(128 + stopped.signum)
    except OSError as exc:
        raise InputError(path, "-o", f"cannot write there: {exc.strerror}", "choose an existing, writable directory")
