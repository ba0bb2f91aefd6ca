"""Knowledge-base rules -> durable-rules ruleset definitions (the JSON form).

The rule language is documented in knowledge_base/README.md. A rule's ``when`` is an
ordered mapping of named patterns; each pattern names a fact kind and tests fields:

    band: {fact: region_band, band: {in: [moderate, severe]}, region: $start.region}

A value ``$name`` is a parameter (resolved here, at compile time); ``$pattern.field``
joins to a field of an earlier pattern. ``not: true`` makes a pattern a negation.
Every rule also requires its layer's control fact, so that a layer only runs after the
agenda of the previous layer is empty (durable-rules does not stratify negation).
"""
from __future__ import annotations

from dataclasses import dataclass

from planner.errors import KnowledgeBaseError

# Structural bounds on a knowledge base (it may come from elsewhere): the C core matches
# inside one call that Python cannot interrupt, so what would take it minutes is refused
# before it runs. An `in` list of 800 values, or a rule crossing several catalogue kinds
# with nothing tying them together, ran every plan for more than five minutes.
MAX_IN = 64                     # values in one `in` / `not_in` list (the bundled largest: 3)
MANY = 20                       # a catalogue kind with this many facts or more is "large"
LAYER_KIND = "$layer"
NEVER_KIND = "$never"
_COMPARE = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
OPERATORS = ("eq", "in", "not_in", *_COMPARE)
RESERVED = ("fact", "not")


@dataclass(frozen=True)
class Ref:
    """A join: the value of ``field`` in the fact matched by pattern ``pattern``."""

    pattern: str
    field: str


@dataclass(frozen=True)
class CompiledRule:
    """What the engine needs to run a rule: its id and conclusion templates."""

    id: str
    then: tuple            # fact templates with Ref/literal values

    def conclusions(self, matched):
        """The facts this rule concludes for one match (``matched``: pattern name -> fact)."""
        return [{k: (matched[v.pattern][v.field] if isinstance(v, Ref) else v) for k, v in template.items()}
                for template in self.then]


def resolve(value, params, patterns, where):
    """Turn ``$param`` into its value and ``$pattern.field`` into a Ref; literals pass."""
    if isinstance(value, str) and value.startswith("$"):
        name = value[1:]
        if "." in name:
            pattern, field = name.split(".", 1)
            if pattern not in patterns:
                raise KnowledgeBaseError(f"{where}: '{value}' refers to pattern '{pattern}', "
                                         f"which is not an earlier, positive pattern of this rule")
            return Ref(pattern, field)
        if name not in params:
            raise KnowledgeBaseError(f"{where}: unknown parameter '{value}'")
        return params[name]
    if isinstance(value, list):
        return [resolve(v, params, patterns, where) for v in value]
    return value


def _operand(value):
    return {value.pattern: value.field} if isinstance(value, Ref) else value


def _field_tests(field, test, params, patterns, where):
    """One field test -> list of durable-rules expressions (all must hold)."""
    if not isinstance(test, dict):
        test = {"eq": test}
    out = []
    for op, raw in test.items():
        if op not in OPERATORS:
            raise KnowledgeBaseError(f"{where}: unknown operator '{op}' (use one of {', '.join(OPERATORS)})")
        value = resolve(raw, params, patterns, f"{where}.{field}")
        if op == "eq" and isinstance(value, list):
            op = "in"
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise KnowledgeBaseError(f"{where}.{field}: '{op}' needs a non-empty list")
            if len(value) > MAX_IN:
                raise KnowledgeBaseError(f"{where}.{field}: '{op}' lists {len(value)} values; at most {MAX_IN} "
                                         "(the engine tries each in turn for every fact: split the rule)")
            if op == "in":
                out.append({"$or": [{field: _operand(v)} for v in value]} if len(value) > 1
                           else {field: _operand(value[0])})
            else:
                out.extend({"$neq": {field: _operand(v)}} for v in value)
        elif op == "eq":
            out.append({field: _operand(value)})
        else:
            out.append({_COMPARE[op]: {field: _operand(value)}})
    return out


def _test_order(test):
    """durable-rules 2.0.28 mis-evaluates a join test that follows an ``$or`` in the same
    ``$and`` (it matched facts that fail the join). Joins first, then literals, ``$or`` last."""
    if "kind" in test:
        return 0
    if "$or" in test:
        return 3
    operand = next(iter(test.values()))
    if isinstance(operand, dict):
        operand = next(iter(operand.values()))
    return 1 if isinstance(operand, dict) else 2


def compile_rule(rule, layer_index, params):
    """One knowledge-base rule -> (durable-rules rule definition, CompiledRule)."""
    where = f"rule {rule['id']}"
    conditions = [{"_layer": {"$and": [{"kind": LAYER_KIND}, {"n": layer_index}]}}]
    positive = []
    for name, pattern in rule["when"].items():
        pwhere = f"{where}.when.{name}"
        if not isinstance(pattern, dict) or "fact" not in pattern:
            raise KnowledgeBaseError(f"{pwhere}: a pattern needs 'fact: <kind>'")
        tests = [{"kind": pattern["fact"]}]
        for field, test in pattern.items():
            if field not in RESERVED:
                tests.extend(_field_tests(field, test, params, positive, pwhere))
        tests.sort(key=_test_order)
        expression = tests[0] if len(tests) == 1 else {"$and": tests}
        if pattern.get("not"):
            conditions.append({f"{name}$not": expression})
        else:
            positive.append(name)
            conditions.append({name: expression})
    then = tuple(
        {("kind" if key == "fact" else key): resolve(value, params, positive, f"{where}.then")
         for key, value in template.items()}
        for template in rule["then"]
    )
    compiled = CompiledRule(rule["id"], then)
    return {"all": conditions}, compiled


def unbounded_joins(rules, catalogue_counts):
    """One line per positive pattern over a large catalogue kind that is not a rule's first
    and neither joins an earlier pattern nor tests a field for one value: each such pattern
    multiplies the matches the C core enumerates by the size of that kind."""
    problems = []
    for rule in rules:
        earlier = False
        for name, pattern in rule["when"].items():
            if pattern.get("not"):
                continue
            if earlier and catalogue_counts.get(pattern["fact"], 0) >= MANY and not _narrowed(pattern):
                problems.append(f"rule {rule['id']}.when.{name}: {pattern['fact']} ({catalogue_counts[pattern['fact']]} "
                                "facts) is matched with nothing tying it to the earlier patterns: join a field "
                                "($pattern.field) or test one for a single value")
            earlier = True
    return problems


def _narrowed(pattern):
    """Whether a pattern tests some field for one value: a literal, a parameter or a join."""
    for field, test in pattern.items():
        if field in RESERVED or (isinstance(test, dict) and "eq" not in test):
            continue
        value = test["eq"] if isinstance(test, dict) else test
        if not isinstance(value, list) or len(value) == 1:
            return True
    return False


# durable-rules shares one node between identical pattern tests; with about 128 or more rules
# on one node the process dies in delete_state, and at more ruleset creation fails (error
# 108). The bundled knowledge base's most shared test has 17 rules.
MAX_SHARING_A_TEST = 100


def most_shared_test(rules, params):
    """(how many rules, the test) for the pattern test the most rules share (0, None if none):
    the same kind and field tests, positive or negated, whatever the pattern is called. A rule
    that does not compile is left out (its own error says why)."""
    import json
    from collections import Counter

    counts = Counter()
    for rule in rules:
        try:
            definition, _ = compile_rule(rule, 1, params)
        except KnowledgeBaseError:
            continue
        tests = set()
        for condition in definition["all"][1:]:        # the first is the layer's control fact
            (name, expression), = condition.items()
            tests.add(("not " if name.endswith("$not") else "") + json.dumps(expression, sort_keys=True))
        counts.update(tests)
    if not counts:
        return 0, None
    test, count = counts.most_common(1)[0]
    return count, test


def absorber(kind):
    """A rule that stores facts of ``kind`` without ever firing.

    durable-rules rejects (and, in a batch, half-applies) a fact that no rule mentions.
    """
    return {"all": [{"m": {"kind": kind}}, {"never": {"kind": NEVER_KIND}}]}


def compile_ruleset(rules, layers, params, kinds):
    """Active rules -> ({rule id: durable definition}, {rule id: CompiledRule}).

    ``kinds`` are every fact kind the engine may see; each gets an absorber.
    """
    definitions, compiled = {}, {}
    for rule in rules:
        definition, one = compile_rule(rule, layers.index(rule["layer"]) + 1, params)
        definitions[rule["id"]] = definition
        compiled[rule["id"]] = one
    for kind in sorted(set(kinds) | {LAYER_KIND}):
        definitions[f"absorb:{kind}"] = absorber(kind)
    return definitions, compiled
