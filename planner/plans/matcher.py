"""A plain-Python reading of the rule language, for explanations (never for planning).

The engine decides; this module answers "which condition held, with what value?" and
"which condition failed?" over the facts a plan ended with, so ``why`` and ``why-not``
can show each test with the value found and the value required.
"""
from __future__ import annotations

from dataclasses import dataclass

from planner.reasoning.compiler import RESERVED, Ref, resolve

_CHECK = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a is not None and a < b,
    "lte": lambda a, b: a is not None and a <= b,
    "gt": lambda a, b: a is not None and a > b,
    "gte": lambda a, b: a is not None and a >= b,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}
OPPOSITE = {"eq": "ne", "ne": "eq", "lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt", "in": "not_in", "not_in": "in"}
SYMBOL = {"eq": "=", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "in": "in", "not_in": "not in"}


@dataclass
class Test:
    """One field test of one pattern, evaluated: the value found and the value required."""

    pattern: str
    kind: str
    field: str
    op: str
    required: object        # resolved value (a join resolved against the bindings)
    source: str             # as written: a literal, $param or $pattern.field
    actual: object
    passed: bool

    @property
    def is_join(self):
        """A test against another pattern's field."""
        return isinstance(self.source, str) and self.source.startswith("$") and "." in self.source

    @property
    def is_link(self):
        """An equality join: it links two facts (shown as "see N"), it states no condition."""
        return self.is_join and self.op == "eq"

    def describe(self, negate=False):
        op = OPPOSITE[self.op] if negate else self.op
        required = self.required if not isinstance(self.required, list) else "[" + ", ".join(map(str, self.required)) + "]"
        via = f" ({self.source})" if isinstance(self.source, str) and self.source.startswith("$") else ""
        return f"{self.kind}.{self.field} is {self.actual!r}; required {SYMBOL[op]} {required}{via}"


def _tests(pattern):
    for field, test in pattern.items():
        if field in RESERVED:
            continue
        for op, raw in (test.items() if isinstance(test, dict) else [("eq", test)]):
            yield field, op, raw


def evaluate_pattern(name, pattern, fact, bindings, params):
    """The tests of ``pattern`` against ``fact`` with earlier patterns bound in ``bindings``."""
    out = []
    for field, op, raw in _tests(pattern):
        value = resolve(raw, params, list(bindings), f"{name}.{field}")
        if op == "eq" and isinstance(value, list):
            op = "in"
        if isinstance(value, Ref):
            value = bindings[value.pattern].get(value.field)
        if isinstance(value, list):
            value = [bindings[v.pattern].get(v.field) if isinstance(v, Ref) else v for v in value]
        actual = fact.get(field)
        out.append(Test(name, pattern["fact"], field, op, value, raw, actual, _CHECK[op](actual, value)))
    return out


def firing_tests(kb, firing):
    """Every test of the rule behind ``firing``, evaluated on the facts it matched."""
    rule = kb.rules[firing.rule]
    bindings, out = {}, []
    for name, pattern in rule["when"].items():
        if pattern.get("not"):
            continue
        fact = firing.matched[name]
        out.extend(evaluate_pattern(name, pattern, fact, bindings, kb.parameter_values))
        bindings[name] = fact
    return out


@dataclass
class PatternResult:
    """How far a rule gets: for one pattern, how many ways it could be matched."""

    name: str
    pattern: dict
    negated: bool
    matches: int
    nearest: list           # for a failed positive pattern: the failed tests of the closest facts


def trace_rule(kb, rule, facts_by_kind, fixed=None):
    """Match ``rule`` pattern by pattern over ``facts_by_kind``; ``fixed`` pins a
    concluded field (e.g. {"activity": "cbt"}) to the pattern field that produces it."""
    params = kb.parameter_values
    pins = {}
    for template in rule["then"]:
        for key, value in template.items():
            if fixed and key in fixed and isinstance(value, str) and value.startswith("$") and "." in value:
                pattern, field = value[1:].split(".", 1)
                pins.setdefault(pattern, {})[field] = fixed[key]
    bindings_list, results = [{}], []
    for name, pattern in rule["when"].items():
        candidates = facts_by_kind.get(pattern["fact"], [])
        survivors, nearest = [], []
        for bindings in bindings_list:
            hits = []
            for fact in candidates:
                if any(fact.get(f) != v for f, v in pins.get(name, {}).items()):
                    continue
                tests = evaluate_pattern(name, pattern, fact, bindings, params)
                if all(t.passed for t in tests):
                    hits.append(fact)
                elif not pattern.get("not"):
                    nearest.append([t for t in tests if not t.passed])
            if pattern.get("not"):
                if not hits:
                    survivors.append(bindings)
            else:
                survivors.extend(dict(bindings, **{name: fact}) for fact in hits)
        nearest.sort(key=lambda failed: (sum(t.is_link for t in failed), len(failed)))
        results.append(PatternResult(name, pattern, bool(pattern.get("not")), len(survivors), nearest[:3]))
        bindings_list = survivors
        if not survivors:
            break
    return results
