"""Goal Attainment Scaling (brief section 23): each objective of an earlier plan scored -2..+2
against a later assessment of the same child, with its evidence. The scale's words and the
arousal order are parameters; what an objective measures comes from the rule that set it."""
from __future__ import annotations


def _rating_score(baseline, target, now):
    """-2 no gain or worse, -1 a gain short of the target, 0 the target, +1 a step beyond, +2 two."""
    if now is None:
        return None
    step = max(target - baseline, 1)
    if now <= baseline:
        return -2
    if now < target:
        return -1
    return min(2, (now - target) // step)


def score(objective, before, after, kb):
    """(score or None, evidence) of one objective of the plan for ``before`` at ``after``."""
    about = objective["about"]
    if about in kb.functions:
        now = after.functioning.get(about)
        return (_rating_score(objective["baseline"], objective["target"], now),
                f"{kb.label(about)} {objective['baseline']} then, target {objective['target']}, "
                + (f"{now} now" if now is not None else "not rated now"))
    if about == "relational_health":
        now = after.relational_health
        return (_rating_score(objective["baseline"], objective["target"], now),
                f"relational health {objective['baseline']} then, target {objective['target']}, "
                + (f"{now} now" if now is not None else "not recorded now"))
    if about == "arousal":
        order = kb.parameter_values["arousal_states_order"]
        now = after.arousal
        if now is None:
            return None, "typical state not recorded now"
        met = order.index(now) <= order.index("alert")
        better = order.index(now) < order.index(objective["baseline"])
        return (0 if met else -1 if better else -2), f"typically {objective['baseline']} then, {now} now"
    if about == "dissociative_episodes":
        then, now = before.functioning.get("dissociation"), after.functioning.get("dissociation")
        if then is None or now is None:
            return None, "dissociation not rated at both assessments"
        return _rating_score(then, then + 1, now), f"dissociation rated {then} then, {now} now"
    if about == "functioning":
        return None, "re-rate the map: every rating should hold"
    return None, "ask the young person or family how close they are (0-10)"


def attainment(plan_before, before, after, kb):
    """Every objective of ``plan_before`` scored at ``after``: [{objective, score, label, evidence}]."""
    words = kb.parameter_values["attainment_scale"]
    out = []
    for objective in plan_before.objectives:
        value, evidence = score(objective, before, after, kb)
        out.append({"objective": objective["id"], "about": objective["about"], "because": objective["because"],
                    "score": value, "label": words[str(value)] if value is not None else "not scored here",
                    "met": value is not None and value >= 0, "evidence": evidence})
    return out
