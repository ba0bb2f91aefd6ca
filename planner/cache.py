"""seqplan's private cache directory: where it is, whether it is this user's alone, and the
secret that authenticates what is kept there. The knowledge base (planner.kb.knowledge),
compiled justifications (planner.kb.explain) and compiled templates (planner.templating)
are cached in it; a cache that is not private is ignored, with one warning."""
from __future__ import annotations

import hashlib


def cache_root():
    """Where seqplan caches what it derived from its own files (None: turned off)."""
    import os

    root = os.environ.get("SEQPLAN_CACHE_DIR")
    if root == "":
        return None
    if root is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "seqplan")
    return root


def private_dir(path):
    """``path`` (created 0700 if missing) if it is a directory only this user can use,
    else None, with one warning. A directory of ours that others could read or write (made
    by an older seqplan, or by hand) is made private first."""
    import os

    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
        if info.st_uid == os.geteuid() and info.st_mode & 0o077 and not os.path.islink(path):
            os.chmod(path, 0o700)
        if private(path, directory=True):
            return path
        _warn_once(path, "it is not a directory only you can read and write (chmod 700 it, or set SEQPLAN_CACHE_DIR)")
    except OSError:
        pass
    return None


def private(path, directory=False):
    """Whether ``path`` is ours alone: owned by this user, not writable by group or others
    (a directory also not readable by them)."""
    import os
    import stat

    info = os.lstat(path)
    kind_ok = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    return kind_ok and info.st_uid == os.geteuid() and not info.st_mode & (0o077 if directory else 0o022)


_WARNED = set()


def _warn_once(root, why):
    import sys

    if root not in _WARNED:
        _WARNED.add(root)
        sys.stderr.write(f"seqplan: warning: not using the knowledge-base cache {root}: {why}\n")


def cache_key(root, create):
    """The secret that authenticates this user's cache entries (32 random bytes in
    ``root/.key``, mode 0600), or None when the directory or the key is not private."""
    import os
    import secrets

    try:
        if private_dir(root) is None:
            return None
        key_path = os.path.join(root, ".key")
        if create and not os.path.lexists(key_path):
            try:
                fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(secrets.token_bytes(32))
            except FileExistsError:      # another process made it first: use theirs
                pass
        if not private(key_path):
            _warn_once(root, "its key file is not yours alone")
            return None
        with open(key_path, "rb") as handle:
            key = handle.read()
        return key if len(key) == 32 else None
    except OSError:
        return None


def mac(key, payload):
    import hmac

    return hmac.new(key, payload, hashlib.sha256).hexdigest()
