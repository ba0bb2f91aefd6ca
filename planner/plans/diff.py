"""One comparison of two plans, for every reader that compares them: progress (one assessment's
plan against the next), what-if (a plan against its edited self), audit and the case record (a
stored plan against the one made again). Entries are matched by identity (a step by its
activity, a region by its id), never by position, so a step that moved is a step that moved,
not one removed and another added. This module finds differences; its readers word them."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

# lists whose entries have an identity, and the field holding it (at any depth of a plan)
IDENTITY = {"steps": "activity", "alternatives": "activity", "deferred": "activity", "excluded": "activity",
            "regions": "id", "functions": "id", "strengths": "function", "delivery": "function", "cautions": "caution"}
GATE = ("stage", "by")           # a gate's identity: the stage it holds closed and what closes it
SUMMARISED = ("trace", "facts")  # long top-level sections: compared as wholes, not entry by entry
PLACES = (("steps", "step"), ("alternatives", "alternative"), ("deferred", "deferred"), ("excluded", "excluded"))


def identified(items, key):
    """Whether ``items`` is a list whose entries are mappings that all carry ``key``."""
    return isinstance(items, list) and all(isinstance(i, dict) and key in i for i in items)


def _identity(entry, key):
    return tuple(entry[k] for k in key) if isinstance(key, tuple) else str(entry[key])


def keyed(items, key):
    """``items`` as {identity: entry} when they can be matched (an identity listed twice keeps its
    last entry, as JSON keeps a key's last value), else ``items`` unchanged."""
    if isinstance(key, tuple) or identified(items, key):
        return {_identity(i, key): i for i in items}
    return items


@dataclass
class Matched:
    """One list of entries in two plans, matched by identity."""

    before_items: list
    after_items: list
    key: object                  # the identity field, or a tuple of fields

    @cached_property
    def before(self):
        """{identity: entry} of the first plan, in its order."""
        return keyed(self.before_items, self.key)

    @cached_property
    def after(self):
        return keyed(self.after_items, self.key)

    @property
    def added(self):
        """Entries only in the second plan, in its order."""
        return [e for k, e in self.after.items() if k not in self.before]

    @property
    def removed(self):
        """Entries only in the first plan, in its order."""
        return [e for k, e in self.before.items() if k not in self.after]

    @property
    def kept(self):
        """(entry before, entry after) for every entry in both, in the second plan's order."""
        return [(self.before[k], e) for k, e in self.after.items() if k in self.before]

    @property
    def paired(self):
        """(entry before or None when new, entry after) for every entry of the second plan, as listed."""
        return [(self.before.get(_identity(e, self.key)), e) for e in self.after_items]

    def changed(self, *fields):
        """The kept pairs whose ``fields`` differ (a step moved: ``changed("phase")``)."""
        return [(b, a) for b, a in self.kept if any(b[f] != a[f] for f in fields)]

    def order(self):
        """(identities before, identities after) of the entries in both plans, each in its plan's
        order, when that order changed; None when it did not (or the lists cannot be matched)."""
        if not all(identified(items, self.key) for items in (self.before_items, self.after_items)):
            return None
        old = [_identity(i, self.key) for i in self.before_items]
        new = [_identity(i, self.key) for i in self.after_items]
        both = set(old) & set(new)
        before, after = [i for i in old if i in both], [i for i in new if i in both]
        return None if before == after else (before, after)


@dataclass(frozen=True)
class FieldChange:
    """One difference found field by field. ``path``: where (``steps.drumming.dose.minutes``);
    ``kind``: removed, added, changed, summarised (a long section: ``before`` and ``after`` count
    its entries), swapped (two entries traded places: ``before`` their identities as listed
    before, ``after`` their ids, a step's S1, as listed after) or reordered (``before`` and
    ``after``: the identities in order)."""

    path: str
    kind: str
    before: object = None
    after: object = None


def _count(value):
    return len(value) if isinstance(value, (list, dict)) else 1


def _reordered(matched, where):
    """How the entries of a list present in both plans moved, or nothing: entries are compared
    by identity, so without this a moved step would go unnoticed."""
    moved_order = matched.order()
    if moved_order is None:
        return []
    before, after = moved_order
    moved = [n for n, (a, b) in enumerate(zip(before, after)) if a != b]
    if len(moved) == 2 and before[moved[0]] == after[moved[1]] and before[moved[1]] == after[moved[0]]:
        labels = [matched.after_items[[_identity(i, matched.key) for i in matched.after_items].index(after[n])]
                  .get("id") or f"#{n + 1}" for n in moved]
        return [FieldChange(where, "swapped", (before[moved[0]], before[moved[1]]), tuple(labels))]
    return [FieldChange(where, "reordered", before, after)]


def field_changes(old, new, path=""):
    """Every difference between two plan documents (or parts of them), field by field: keys of
    the first in its order, then keys only in the second; lists of identified entries by identity.
    Strict: a key in one only, any changed value, a list that cannot be matched compared whole."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in list(old) + [k for k in new if k not in old]:
            where = f"{path}.{key}" if path else str(key)
            if key not in new:
                changes.append(FieldChange(where, "removed", before=old[key]))
            elif key not in old:
                changes.append(FieldChange(where, "added", after=new[key]))
            elif key in SUMMARISED and not path:
                if old[key] != new[key]:
                    changes.append(FieldChange(where, "summarised", _count(old[key]), _count(new[key])))
            elif key in IDENTITY:
                matched = Matched(old[key], new[key], IDENTITY[key])
                changes += _reordered(matched, where) + field_changes(matched.before, matched.after, where)
            else:
                changes += field_changes(old[key], new[key], where)
        return changes
    return [FieldChange(path, "changed", old, new)] if old != new else []


def _types_differ(a, b):
    """Whether two equal plans differ in the type of a value (1 and 1.0, true and 1 compare
    equal in Python): seqplan writes each value in one type, so a changed type is a changed
    value, never formatting."""
    if isinstance(a, dict) and isinstance(b, dict):
        return any(_types_differ(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return any(_types_differ(x, y) for x, y in zip(a, b))
    return type(a) is not type(b)


def gates_of(plan):
    """A plan's gates (each stage held closed, by what, until when, and the rule that closed it),
    in fact id order; a what-if summary carries them already."""
    if isinstance(plan, dict):
        return plan["gates"]
    ev = plan.evaluation
    return [{"stage": f["stage"], "by": f["by"], "band": f["band"], "until": f["until"],
             "rule": ev.trace[ev.producers[f["id"]]].rule} for f in ev.of_kind("gate")]


def fired_of(plan):
    """{rule id: how often it fired} for a plan (a what-if summary carries it already)."""
    if isinstance(plan, dict):
        return plan["fired"]
    fired = {}
    for firing in plan.evaluation.trace:
        fired[firing.rule] = fired.get(firing.rule, 0) + 1
    return fired


def _part(plan, key):
    return plan[key] if isinstance(plan, dict) else getattr(plan, key)


def _stamp(plan, name):
    if name == "input":
        return {"digest": plan.get("input_digest") if isinstance(plan, dict) else plan.input_digest}
    value = plan.get(name) if isinstance(plan, dict) else getattr(plan, name)
    return value if isinstance(value, dict) else {}


def place(plan, activity):
    """Where ``activity`` is in ``plan``: (step, alternative, deferred or excluded, its entry),
    or ("not proposed", None)."""
    for key, status in PLACES:
        for item in _part(plan, key):
            if item["activity"] == activity:
                return status, item
    return "not proposed", None


def _functions(plan):
    return [dict(f, region=r["id"]) for r in _part(plan, "regions") for f in r["functions"]]


def _gates(plan):
    return sorted(gates_of(plan), key=lambda g: (g["stage"], g["by"]))


def _section(key, read=None, identity=None):
    """A ``PlanDiff`` attribute: the plans' ``key`` lists (or what ``read`` reads of each plan)
    matched by identity, found when first read."""
    def matched(diff):
        items = read or (lambda plan: _part(plan, key))
        return Matched(items(diff.before), items(diff.after), identity or IDENTITY[key])
    return cached_property(matched)


@dataclass
class PlanDiff:
    """How plan ``after`` differs from plan ``before``: each a ``Plan``, its JSON document as a
    dict, or a what-if summary. Each part is found when first read, so a reader pays only for
    what it reads, and a damaged stored document can still be compared field by field."""

    before: object
    after: object

    steps = _section("steps")
    alternatives = _section("alternatives")
    deferred = _section("deferred")
    excluded = _section("excluded")
    cautions = _section("cautions")
    regions = _section("regions")
    functions = _section("functions", _functions)      # every rated function, with its region's id (region)
    gates = _section("gates", _gates, GATE)             # matched by the stage closed and by what

    def value(self, key):
        """(before, after) of a single-valued part (start, review, regulate_duration) when it
        changed, else None."""
        a, b = _part(self.before, key), _part(self.after, key)
        return None if a == b else (a, b)

    def stamp(self, name):
        """(before, after) of a plan's stamp ``name`` when its digest changed, else None: ``input``
        ({digest} of the assessment), ``kb`` ({name, version, digest} of the knowledge base) or
        ``presentation`` ({digest} of templates/). A stamp missing or damaged reads as {}."""
        a, b = _stamp(self.before, name), _stamp(self.after, name)
        return None if a.get("digest") == b.get("digest") else (a, b)

    def was(self, activity):
        """(status, entry) of ``activity`` in the first plan (see ``place``)."""
        return place(self.before, activity)

    def now(self, activity):
        """(status, entry) of ``activity`` in the second plan."""
        return place(self.after, activity)

    @cached_property
    def firing(self):
        """(rules firing only in the second plan, rules firing only in the first), each sorted."""
        a, b = fired_of(self.before), fired_of(self.after)
        return sorted(r for r in b if r not in a), sorted(r for r in a if r not in b)

    @cached_property
    def fields(self):
        """Every difference between the two plan documents, field by field (``field_changes``)."""
        return field_changes(self.before, self.after)

    @property
    def same(self):
        """Whether the two plan documents hold the same content in the same types."""
        return self.before == self.after and not _types_differ(self.before, self.after)


def plan_diff(before, after):
    """How ``after`` differs from ``before`` (see ``PlanDiff``)."""
    return PlanDiff(before, after)


def outline(steps):
    """A plan's steps as short lines ("S1 regulate: Rocking to song"), for a before/after listing."""
    return [f"{s['id']} {s['phase']}: {s['name']}" for s in steps]
