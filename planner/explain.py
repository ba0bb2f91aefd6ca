"""Justifications: render a rule's ``because`` template over the facts one firing matched."""
from __future__ import annotations

_ENV = None
_TEMPLATES = {}
_HELPERS = {}


def _env():
    global _ENV
    if _ENV is None:
        import jinja2

        _ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
    return _ENV


def helpers(kb):
    """Functions a ``because`` template may call; all read the knowledge base."""
    def dose_text(dose_id, r):
        return kb.doses[dose_id]["gives"][r]

    def dose_summary(dose_id):
        d = kb.doses[dose_id]
        return f"{d['frequency']}, {d['minutes']} minutes, by {d['who']}"

    def deliverers(activity_id):
        roles = [r.replace("_", " ") for r in kb.activities[activity_id]["delivered_by"]]
        return "a " + " or a ".join(roles)

    return {"label": kb.label, "params": kb.parameter_values, "dose_text": dose_text,
            "dose_summary": dose_summary, "deliverers": deliverers}


def because(kb, firing):
    """The rendered justification of one firing (a ``planner.engine.Firing``)."""
    key = (kb.digest, firing.rule)
    template = _TEMPLATES.get(key)
    if template is None:
        template = _TEMPLATES[key] = _env().from_string(kb.rules[firing.rule]["because"])
    if kb.digest not in _HELPERS:
        _HELPERS[kb.digest] = helpers(kb)
    return " ".join(template.render(**_HELPERS[kb.digest], **firing.matched).split())
