"""The part of a long value that changed, with a little context on each side: so that a
difference between two long justifications reads '"...enjoys music..." -> "...enjoys
movement..."' rather than two identical cut-off beginnings."""
from __future__ import annotations

import json

ELLIPSIS = "..."


def _text(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def changed_part(old, new, width=160, context=40):
    """'OLD -> NEW' as JSON text; when either is longer than ``width``, each is cut to the
    part that differs (after the common beginning, before the common end) with ``context``
    characters either side, and '...' where something was left out."""
    a, b = _text(old), _text(new)
    if len(a) <= width and len(b) <= width:
        return f"{a} -> {b}"
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(a), len(b)) - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    start = max(prefix - context, 0)

    def cut(text):
        end = min(len(text) - suffix + context, len(text))
        middle = text[start:end]
        if len(middle) > width:                     # a long change itself: its start and its end
            half = (width - len(ELLIPSIS)) // 2
            middle = middle[:half] + ELLIPSIS + middle[-half:]
        return (ELLIPSIS if start else "") + middle + (ELLIPSIS if end < len(text) else "")

    return f"{cut(a)} -> {cut(b)}"
