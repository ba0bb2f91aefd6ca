"""The reasoning step by step: every firing of a plan, layer by layer, each with its rule,
its justification and the facts it matched and concluded (``seqplan steps``, the web page's
step-through). Within a layer, firings are grouped by rule in knowledge-base order, then by
firing number, so the same kind of conclusion is read out together."""
from __future__ import annotations

from planner.errors import InputError

STEPS_FORMAT = "seqplan/steps-1"


def layers(plan, layer=None):
    """[{name, firings: [{n, rule, title, because, matched, concluded}]}] for ``plan``."""
    from planner.kb.explain import because
    from planner.plans.why import describe

    kb, ev = plan.knowledge, plan.evaluation
    if layer is not None and layer not in kb.layers:
        from planner.intake.assessment import suggest

        raise InputError("--layer", layer, "is not a layer of the knowledge base",
                         suggest(layer, kb.layers) or f"layers: {', '.join(kb.layers)}")
    position = {rule["id"]: i for i, rule in enumerate(kb.active_rules)}
    grouped = {name: [] for name in kb.layers}
    for firing in ev.trace:
        grouped[kb.rules[firing.rule]["layer"]].append(firing)
    out = []
    for number, (name, firings) in enumerate(grouped.items(), 1):
        if layer is not None and name != layer:
            continue
        firings.sort(key=lambda f: (position.get(f.rule, len(position)), f.n))
        out.append({"number": number, "name": name, "firings": [{
            "n": f.n,
            "rule": f.rule,
            "title": kb.rules[f.rule]["title"],
            "because": because(kb, f),
            "matched": [{"pattern": p, "fact": describe(fact)} for p, fact in f.matched.items()],
            "concluded": [describe(plan.facts[c]) for c in f.concluded],
        } for f in firings]})
    return out


def render(plan, layer=None, fmt="md"):
    """The step-through as Markdown or JSON (deterministic)."""
    import json

    data = {"format": STEPS_FORMAT, "client": plan.client, "kb": plan.kb, "input_digest": plan.input_digest,
            "layers": layers(plan, layer)}
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    from planner import templating

    return templating.text().get_template("trainer-steps.md.j2").render(d=data)
