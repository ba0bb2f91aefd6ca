"""Justifications: render a rule's ``because`` template over the facts one firing matched.

Rendering is memoised on the values a template reads (e.g. ``team.role``), so the many
firings that read the same values (every activity a caregiver delivers) cost one render.
"""
from __future__ import annotations

from .errors import KnowledgeBaseError

_ENV = None
_TEMPLATES = {}      # (kb digest, rule id) -> (template or constant text, fields it reads or None)
_HELPERS = {}        # kb digest -> helper functions
_RENDERED = {}       # (kb digest, rule id, values read) -> text
_RENDERED_MAX = 50_000


def _env():
    global _ENV
    if _ENV is None:
        import jinja2

        _ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
    return _ENV


def helpers(kb):
    """Functions a ``because`` template may call; all read the knowledge base."""
    def dose_text(phase, r):
        return kb.dose_gives[phase][r]

    def dose_summary(dose_id):
        d = kb.doses[dose_id]
        return f"{d['frequency']}, {minutes_text(d)} minutes, by {d['who']}"

    def roles(role_ids):
        return "a " + " or a ".join(r.replace("_", " ") for r in role_ids)

    def deliverers(activity_id):
        return roles(kb.activities[activity_id]["delivered_by"])

    def needed(activity_id):
        return roles(kb.activities[activity_id].get("needs", ()))

    return {"label": kb.label, "params": kb.parameter_values, "dose_text": dose_text,
            "dose_summary": dose_summary, "deliverers": deliverers, "needed": needed}


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


def _compiled(kb, rule_id):
    key = (kb.digest, rule_id)
    if key not in _TEMPLATES:
        import jinja2

        source = kb.rules[rule_id]["because"]
        if "{" not in source:    # no Jinja syntax: the text is its own rendering
            _TEMPLATES[key] = (" ".join(source.split()), ())
        else:
            env = _env()
            try:
                reads = fields_read(env.parse(source), set(helpers(kb)))
                _TEMPLATES[key] = (env.from_string(source), reads)
            except jinja2.TemplateSyntaxError as exc:
                raise KnowledgeBaseError(f"{kb.rule_files[rule_id]}: rule {rule_id}: because: {exc.message}") from exc
    return _TEMPLATES[key]


def compile_all(kb):
    """Compile every active rule's justification: a syntax error is found when the
    knowledge base loads, not halfway through a plan."""
    for rule in kb.active_rules:
        _compiled(kb, rule["id"])


def because(kb, firing):
    """The rendered justification of one firing (a ``planner.engine.Firing``)."""
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
    except Exception as exc:   # a broken justification is the knowledge base's error, not a crash
        raise KnowledgeBaseError(f"rule {firing.rule}: because: {type(exc).__name__}: {exc}") from exc
    if memo is not None:
        if len(_RENDERED) >= _RENDERED_MAX:
            _RENDERED.clear()
        _RENDERED[memo] = text
    return text
