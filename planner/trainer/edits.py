"""``--set FIELD=VALUE`` edits of an assessment mapping (what-if, the web page's controls).

A copy of the mapping is changed, never the file. Which fields may be set comes from the
input contract (function ids from the knowledge base); values are then checked by the
same validation as a file, so a bad edit gets the same one-line error.
"""
from __future__ import annotations

import copy

from planner.errors import InputError

SOURCE = "--set"
LIST_FIELDS = ("interests", "avoid", "team", "settings")
CURRENT_FIELDS = ("arousal", "relational_health")
HISTORY_FIELDS = ("adversity", "relational_poverty")
UNRATED = ("", "none", "unrated")


def settable(kb):
    """Every field path a what-if may set (function ids may also be given bare)."""
    return ([f"functioning.{f}" for f in kb.functions] + [f"current.{f}" for f in CURRENT_FIELDS]
            + [f"context.{f}" for f in LIST_FIELDS] + ["client.age_years"]
            + [f"history.{p}.{f}" for p in kb.periods for f in HISTORY_FIELDS])


def _field(key, kb):
    key = str(key).strip()
    if key in kb.functions:
        key = f"functioning.{key}"
    if key not in settable(kb):
        from planner.intake.assessment import suggest

        hint = suggest(key, settable(kb) + list(kb.functions))
        raise InputError(SOURCE, key or "(empty)", "is not a field a what-if can set",
                         hint or "set a function id (e.g. sleep=9), current.arousal, current.relational_health, "
                                 "context.interests|avoid|team|settings, client.age_years or history.PERIOD.adversity")
    return key


def _scalar(raw):
    """'9' -> 9, '9.5' -> 9.5, anything else stays text (validation names a wrong type)."""
    text = raw.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _value(field, raw):
    """The value of one edit; ``None`` removes the field (an unrated function)."""
    if field.startswith("context."):
        if isinstance(raw, str):
            return [w.strip() for w in raw.split(",") if w.strip()]
        return raw
    if not isinstance(raw, str):
        return raw
    if field.startswith(("functioning.", "current.")) and raw.strip().lower() in UNRATED:
        return None       # an unrated function, an unrecorded state
    return raw.strip() if field == "current.arousal" else _scalar(raw)


def parse_sets(specs, kb):
    """``["sleep=9", "current.arousal=calm"]`` or ``{"sleep": 9, ...}`` -> [(field, value)]."""
    if isinstance(specs, dict):
        return [(_field(k, kb), _value(_field(k, kb), v)) for k, v in specs.items()]
    out = []
    for spec in specs:
        if "=" not in str(spec):
            raise InputError(SOURCE, str(spec), "is not FIELD=VALUE",
                             "e.g. --set sleep=9 --set current.arousal=calm --set context.avoid=touch,noise")
        key, raw = str(spec).split("=", 1)
        field = _field(key, kb)
        out.append((field, _value(field, raw)))
    return out


def apply_sets(data, edits):
    """A changed deep copy of the assessment mapping ``data``; later edits win."""
    changed = copy.deepcopy(data)
    for field, value in edits:
        *parents, leaf = field.split(".")
        node = changed
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return changed


def get_field(data, field):
    node = data
    for part in field.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def edit_list(data, edits):
    """[{field, from, to}] for the edits that change something, in the order given."""
    out, seen = [], {}
    for field, value in edits:
        seen[field] = value
    for field, value in seen.items():
        before = get_field(data, field)
        if before != value:
            out.append({"field": field, "from": before, "to": value})
    return out


def check(changed, kb):
    """Validate the changed mapping; errors name ``--set`` and the field."""
    from planner.intake.assessment import validation_errors

    errors = validation_errors(changed, SOURCE, "", kb)
    if errors:
        raise errors[0]
