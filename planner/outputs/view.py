"""What the plan's templates show, selected, grouped and counted here, in tested Python,
so that the Markdown and HTML templates only lay it out (and cannot group differently)."""
from __future__ import annotations

from planner.kb.explain import plain_language


def plan_view(plan, kb, cautions):
    """The groupings of ``plan`` its templates read as ``v``; ``cautions`` are the cautions
    the summary opens with (``first_cautions``)."""
    functions = [f for region in plan.regions for f in region["functions"]]
    rated = [f for f in functions if f["score"] is not None]
    insufficient = [r for r in plan.regions if r["band"] == "insufficient_data"]
    first_phase = plan.steps[0]["phase"] if plan.steps else None
    return {
        "first_phase": first_phase,
        "first_steps": [s for s in plan.steps if s["phase"] == first_phase],
        "later_steps": [s for s in plan.steps if s["phase"] != first_phase],
        "safety": [c for c in cautions if c["caution"] != "plausibility"],
        "to_check": [c for c in cautions if c["caution"] == "plausibility"],
        "fell": [f for f in plan.since_previous if f["kind"] == "function_fell"],
        "functions": functions,
        "rated": rated,
        "low": [f for f in rated if f["band"] != "typical"],
        "insufficient": insufficient,
        "too_sparse": bool(not plan.steps and insufficient),
        "partially_rated": [r for r in plan.regions if r["unrated"]],
        "to_consider": [r for r in plan.referrals_to_consider if r["status"] == "consider"],
        "alternatives": by_phase(plan.alternatives, kb.phases),
        "strengths": [(region, [s for s in plan.strengths if s["region"] == region["id"]])
                      for region in plan.regions if any(s["region"] == region["id"] for s in plan.strengths)],
        "steps_by_phase": {phase: [s for s in plan.steps if s["phase"] == phase] for phase in kb.phases},
        "deferred_by_phase": {phase: [d for d in plan.deferred if d["phase"] == phase] for phase in kb.phases},
    }


def by_phase(items, phases):
    """[(phase, [items of that phase])] for the phases, in order, that have any."""
    grouped = [(phase, [item for item in items if item["phase"] == phase]) for phase in phases]
    return [(phase, found) for phase, found in grouped if found]


def excluded_by_reason(excluded, six_rs, named_once=()):
    """The activities not recommended now, grouped by the reason they fail: ([{r, because,
    names}] in the order of the 6 Rs and then referral, [names of activities that fail only
    through a rule of ``named_once``]). An activity is named under every reason it fails by."""
    keys, once = [], []
    for r in list(six_rs) + ["referral"]:
        for item in excluded:
            for fail in item["fails"]:
                if fail["r"] != r:
                    continue
                if fail["rule"] in named_once:
                    if item["name"] not in once:
                        once.append(item["name"])
                elif (fail["r"], fail["because"]) not in keys:
                    keys.append((fail["r"], fail["because"]))
    groups = [{"r": r, "because": because,
               "names": [item["name"] for item in excluded
                         if any(f["r"] == r and f["because"] == because for f in item["fails"])]}
              for r, because in keys]
    return groups, once


def first_cautions(plan):
    """The cautions the summary opens with (safety first), in the plan's order: those named
    under ``first_cautions`` in the plain-language table."""
    first = plain_language(plan.knowledge).get("first_cautions", {})
    order = list(first)      # the table's order: safety before what to do on a disclosure
    return sorted((c for c in plan.cautions if c["caution"] in first), key=lambda c: order.index(c["caution"]))
