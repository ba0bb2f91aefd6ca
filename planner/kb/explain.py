"""Justifications: render a rule's ``because`` template over the facts one firing matched.

Rendering is memoised on the values a template reads (e.g. ``team.role``), so the many
firings that read the same values (every activity a caregiver delivers) cost one render.

A knowledge base may come from someone else, so its templates are untrusted:
- at load, each template may only use what a justification needs (``template_problem``):
  the rule's pattern names with a plain field (``score.score``), ``params.<parameter>``,
  the helpers below, a few text filters, arithmetic without powers, and ``if``; no loops,
  no indexing, no other names or attributes, at most MAX_SOURCE characters and MAX_NESTING
  brackets deep (so parsing itself is bounded). Anything else refuses the knowledge base.
- rendering runs in jinja2's ``ImmutableSandboxedEnvironment`` with no globals, only the
  allowed filters, repetition (``*``) bounded, and the output capped at ``MAX_OUTPUT``.
"""
from __future__ import annotations

import re

from planner.errors import KnowledgeBaseError

MAX_OUTPUT = 4000              # characters of one rendered justification
MAX_REPEAT = 1000              # the longest str/list a ``*`` may build
MAX_SOURCE = 4000              # characters of one ``because`` template (the bundled longest: about 500)
MAX_NESTING = 24               # brackets open at once in one template (the bundled deepest: 4)
FILTERS = ("replace", "round", "int", "float", "lower", "upper", "capitalize", "title", "trim", "default",
           "abs", "string", "join")
_FIELD = re.compile(r"[a-z][a-z0-9_]*\Z")
_ENV = None
_TEMPLATES = {}      # (kb digest, rule id) -> (template or constant text, fields it reads or None)
_HELPERS = {}        # kb digest -> helper functions
_RENDERED = {}       # (kb digest, rule id, values read) -> text
_RENDERED_MAX = 50_000


def sandbox():
    """The sandbox every ``because`` template is parsed, compiled and rendered in."""
    global _ENV
    if _ENV is None:
        import jinja2
        from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

        class Sandbox(ImmutableSandboxedEnvironment):
            """No globals (range, cycler, ...), a few filters, no powers, bounded repetition."""

            intercepted_binops = frozenset({"*", "**", "%"})

            def call_binop(self, context, operator, left, right):
                if operator == "**" or (operator == "%" and isinstance(left, str)):
                    raise SecurityError(f"the operator {operator} is not allowed in a justification")
                if operator == "*":
                    for seq, n in ((left, right), (right, left)):
                        if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                            raise SecurityError("repetition too long for a justification")
                return super().call_binop(context, operator, left, right)

        _ENV = Sandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
        _ENV.globals.clear()
        _ENV.filters = {name: _ENV.filters[name] for name in FILTERS}
    return _ENV


def template_problem(template_ast, helper_names, parameters):
    """What a ``because`` template uses beyond what a justification needs, or None.
    ``parameters``: the knowledge base's parameter ids.
    Attributes must be plain lower-case fields of a name (``score.score``), never ``_x``
    or ``a.b.c``: that is what closes the way from a template to Python's internals."""
    from jinja2 import nodes

    plain = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.If, nodes.CondExpr,
             nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.Neg, nodes.Pos, nodes.Add,
             nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Concat)
    callables = set(helper_names) - {"params"}
    attribute_of = set()
    for node in template_ast.find_all(nodes.Node):
        if isinstance(node, nodes.Getattr):
            if not isinstance(node.node, nodes.Name):
                return f"'.{node.attr}' on something other than a pattern or params"
            owner = node.node.name
            if owner == "params":
                if node.attr not in parameters:
                    return f"'params.{node.attr}', which is not a parameter of this knowledge base"
            elif owner in callables or not _FIELD.match(node.attr):
                return f"'{owner}.{node.attr}'"
            attribute_of.add(id(node.node))
        elif isinstance(node, nodes.Name):
            # a name that is neither a pattern nor a helper is undefined when rendered (the
            # sandbox has no globals); `kb check` names it
            if node.ctx != "load":
                return f"an assignment to '{node.name}'"
            if node.name == "params" and id(node) not in attribute_of:
                return "'params' other than as params.NAME"
        elif isinstance(node, nodes.Call):
            if not isinstance(node.node, nodes.Name) or node.node.name not in callables:
                return "a call of something other than " + ", ".join(sorted(callables))
            if node.kwargs or node.dyn_args or node.dyn_kwargs:
                return "keyword or unpacked arguments"
        elif isinstance(node, nodes.Filter):
            if node.name not in FILTERS or node.kwargs or node.dyn_args or node.dyn_kwargs:
                return f"the filter '{node.name}'"
        elif not isinstance(node, plain):
            return f"'{type(node).__name__}' ({'loops, assignments, indexing, imports and macros are not allowed'})"
    return None


def helpers(kb):
    """Functions a ``because`` template may call; all read the knowledge base."""
    def dose_text(phase, r):
        return kb.dose_gives[phase][r]

    def dose_summary(dose_id):
        d = kb.doses[dose_id]
        return f"{d['frequency']}, {minutes_text(d)} minutes, by {d['who']}"

    words = readable_words(kb)

    def deliverers(activity_id):
        return role_phrase(words, kb.activities[activity_id]["delivered_by"])

    def needed(activity_id):
        return role_phrase(words, kb.activities[activity_id].get("needs", ()))

    def tag_label(tag_id):
        return words["tags"].get(tag_id, str(tag_id).replace("_", " "))

    def role_label(role_id):
        return role_entry(words, role_id)["label"]

    def a_role(role_id):
        return role_phrase(words, [role_id])

    def service_label(service_id):
        return kb.parameter_values.get("referral_services", {}).get(service_id, str(service_id).replace("_", " "))

    return {"label": kb.label, "params": kb.parameter_values, "dose_text": dose_text,
            "dose_summary": dose_summary, "deliverers": deliverers, "needed": needed,
            "tag_label": tag_label, "role_label": role_label, "a_role": a_role, "service_label": service_label}


PLAIN_FILE = "plain_language.yaml"


def plain_language(kb):
    """The plain-language table (plain_language.yaml: the handouts' words, readable labels)."""
    return side_table(kb, PLAIN_FILE)


def side_table(kb, name):
    """A table the digest covers beside the rules (planner.kb.knowledge.DIGESTED_TOO), as
    ``kb`` loaded it."""
    return kb.side_tables[name]


def readable_words(kb):
    """The readable labels of tags and team roles (``labels`` in the plain-language table)."""
    labels = plain_language(kb).get("labels", {})
    return {"tags": labels.get("tags", {}), "roles": labels.get("roles", {})}


def role_entry(words, role_id):
    """A team role's readable label and article ({"label", "a"}): roles the table lacks read as their id."""
    entry = words["roles"].get(role_id, {})
    return {"label": entry.get("label", str(role_id).replace("_", " ")), "a": entry.get("a", "a")}


def role_phrase(words, role_ids):
    """['occupational_therapist', 'therapist'] -> 'an occupational therapist or a therapist'."""
    return " or ".join("{a} {label}".format(**role_entry(words, r)) for r in role_ids)


def minutes_text(dose):
    """A dose's session length as written in plans: [7, 10] -> '7-10'."""
    low, high = dose["minutes"]
    return f"{low:g}-{high:g}" if low != high else f"{low:g}"


def fields_read(template_ast, names):
    """The (pattern, field) pairs a template reads, or None if it uses a pattern whole."""
    from jinja2 import nodes

    reads, whole = set(), False
    attribute_names = set()
    for node in template_ast.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name not in names:
            reads.add((node.node.name, node.attr))
            attribute_names.add(id(node.node))
    for node in template_ast.find_all(nodes.Name):
        if node.name not in names and id(node) not in attribute_names:
            whole = True
    return None if whole else tuple(sorted(reads))


def _compiled(kb, rule_id, checked=None):
    """``checked``: the fields the template reads, from a knowledge-base cache entry whose
    templates passed these checks before (keyed by the same bytes and code): the template is
    then parsed on its first render only."""
    key = (kb.digest, rule_id)
    if key not in _TEMPLATES:
        import jinja2

        source = kb.rules[rule_id]["because"]
        if "{" not in source:    # no Jinja syntax: the text is its own rendering
            _TEMPLATES[key] = (" ".join(source.split()), ())
        elif checked is not None:
            reads = checked[rule_id]
            _TEMPLATES[key] = (_Lazy(source), None if reads is None else tuple(map(tuple, reads)))
        else:
            env = sandbox()
            try:
                _bounded(source)
                ast = env.parse(source)
                problem = template_problem(ast, set(helpers(kb)), set(kb.parameters))
                if problem:
                    raise KnowledgeBaseError(
                        f"{kb.rule_files[rule_id]}: rule {rule_id}: because: uses {problem}, which a justification "
                        "may not use (use pattern.field, params.NAME, "
                        + ", ".join(f"{name}()" for name in helpers(kb) if name != "params") + ")")
                reads = fields_read(ast, set(helpers(kb)))
                _TEMPLATES[key] = (_Lazy(source, ast), reads)
            except jinja2.TemplateSyntaxError as exc:
                raise KnowledgeBaseError(f"{kb.rule_files[rule_id]}: rule {rule_id}: because: {exc.message}") from exc
            except (ValueError, RecursionError, MemoryError) as exc:     # e.g. a 5,000-digit number
                raise KnowledgeBaseError(f"{kb.rule_files[rule_id]}: rule {rule_id}: because: cannot be read "
                                         f"({type(exc).__name__}: {str(exc)[:120]})") from None
    return _TEMPLATES[key]


def _bounded(source):
    """Refuse a template too long or too deeply nested to parse safely (jinja2's parser
    recurses once per bracket: 2,000 nested parentheses overflow Python's stack)."""
    from planner.reading.safeload import bracket_depth

    if len(source) > MAX_SOURCE:
        raise ValueError(f"{len(source)} characters; at most {MAX_SOURCE}")
    deepest = bracket_depth(source, "([{", ")]}")
    if deepest > MAX_NESTING:
        raise ValueError(f"brackets nested {deepest} deep; at most {MAX_NESTING}")


class _Lazy:
    """A checked template (its source, and its parsed form once parsed), compiled to Python
    on its first render (most rules of a knowledge base do not fire in a given plan)."""

    __slots__ = ("source", "ast", "template")

    def __init__(self, source, ast=None):
        self.source, self.ast, self.template = source, ast, None

    def render(self, **values):
        if self.template is None:
            env = sandbox()
            code = _compiled_code(self.source, self.ast if self.ast is not None else self.source)
            self.template = env.template_class.from_code(env, code, env.make_globals(None))
        return self.template.render(**values)


def _compiled_code(source, parsed):
    """The sandbox's compiled code of a checked template, kept in seqplan's private cache
    between runs (keyed by the source, Jinja's and Python's versions): compiling the
    justifications was a third of a cold start. The code is the sandbox's own output, so
    its run-time checks hold; it is read only from a directory that is this user's alone."""
    import contextlib
    import hashlib
    import marshal
    import os
    import sys

    import jinja2

    from planner.cache import cache_root, private_dir

    root = cache_root()
    folder = private_dir(os.path.join(root, "templates")) if root and private_dir(root) else None
    key = hashlib.sha256(f"{jinja2.__version__}\0{sys.implementation.cache_tag}\0{source}".encode()).hexdigest()
    path = os.path.join(folder, f"because-{key[:40]}.code") if folder else None
    if path and os.path.isfile(path):
        try:
            with open(path, "rb") as handle:
                return marshal.load(handle)
        except (OSError, EOFError, ValueError, TypeError):
            pass                       # damaged: compiled afresh below
    code = sandbox().compile(parsed)
    if path:
        from planner.files import replace_atomically

        with contextlib.suppress(OSError):
            replace_atomically(path, marshal.dumps(code))
    return code


def compile_all(kb, checked=None):
    """Parse and check every active rule's justification: a syntax error or a template
    reaching beyond its facts is found when the knowledge base loads, not halfway
    through a plan. Returns {rule id: fields read} for the templates, which a cache may
    hand back as ``checked`` to skip the parsing."""
    out = {}
    for rule in kb.active_rules:
        template, reads = _compiled(kb, rule["id"], checked)
        if not isinstance(template, str):
            out[rule["id"]] = None if reads is None else [list(r) for r in reads]
    return out


def because(kb, firing):
    """The rendered justification of one firing (a ``planner.reasoning.engine.Firing``)."""
    template, reads = _compiled(kb, firing.rule)
    if isinstance(template, str):
        return template
    memo = None
    if reads is not None:
        memo = (kb.digest, firing.rule, tuple(firing.matched.get(p, {}).get(f) for p, f in reads))
        if memo in _RENDERED:
            return _RENDERED[memo]
    if kb.digest not in _HELPERS:
        _HELPERS[kb.digest] = helpers(kb)
    try:
        text = " ".join(template.render(**_HELPERS[kb.digest], **firing.matched).split())
        if len(text) > MAX_OUTPUT:
            raise ValueError(f"the justification is longer than {MAX_OUTPUT} characters")
    except Exception as exc:   # a broken justification is the knowledge base's error, not a crash
        raise KnowledgeBaseError(f"rule {firing.rule}: because: {type(exc).__name__}: {exc}") from exc
    if memo is not None:
        if len(_RENDERED) >= _RENDERED_MAX:
            _RENDERED.clear()
        _RENDERED[memo] = text
    return text
