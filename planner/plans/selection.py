"""Which activities that meet all six Rs become steps, in which order, with what dose and
where; the rest are alternatives. The policy is knowledge (parameters step_order,
steps_per_phase, step_down_steps_per_phase, daily_minutes_max, daily_limit_exempt,
interest_first_phases, prefer_matched_interests); this module applies it to one
evaluation. ``reasons`` (planning's) names the rule and justification behind each fact.
"""
from __future__ import annotations

from planner.kb.explain import minutes_text
from planner.kb.policy import step_order


def unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def phase_order(kb, phase):
    return kb.phases[phase]["order"]


def _rs_met(kb, ev, activity_id, region, phase):
    """R -> the facts showing it met for this activity in this region and phase: judged
    for the region (Relevant), for the activity (the others), or given by the phase's dose."""
    here = ev.index("meets", "activity", "region", "r")
    anywhere = ev.index("activity_meets", "activity", "r")
    by_phase = ev.index("phase_meets", "phase", "r")
    return {r: here.get((activity_id, region, r), []) + anywhere.get((activity_id, r), [])
            + by_phase.get((phase, r), []) for r in kb.six_rs}


def _provisional(kb, ev, fact):
    """The Rs of a step met only provisionally (e.g. Rewarding: to try and watch)."""
    met = _rs_met(kb, ev, fact["activity"], fact["region"], fact["phase"])
    return [r for r in ("rewarding",) if all(f["via"] in PROVISIONAL for f in met[r])]


def _named_interest(kb, ev, fact):
    """True when a recorded interest (not child-led play in general) shows the step Rewarding."""
    met = _rs_met(kb, ev, fact["activity"], fact["region"], fact["phase"])["rewarding"]
    return any(f["via"] not in PROVISIONAL + ("child_led",) for f in met)


PROVISIONAL = ("to_try", "to_confirm")   # `via` of a Rewarding met without a recorded interest


def _exempt(kb, ev, activity, lead):
    exempt = kb.parameter_values["daily_limit_exempt"]
    return (exempt["co_regulation"] and activity.get("co_regulation", False)) or (
        lead["phase"] in exempt["phases_when_interest_matched"] and not _provisional(kb, ev, lead))


def _step_down_cap(ev, before):
    """(most steps, most minutes a day) when a rule steps the plan down (brief section 22): fewer
    steps and minutes than ``before``, the plan for the previous assessment; (None, None) otherwise."""
    if not ev.of_kind("step_down") or before is None:
        return None, None
    return max(1, len(before.steps) - 1), before.daily_time["minutes"][1]


def select_steps(kb, assessment, ev, reasons, start_phase, before=None):
    """Steps grouped by activity (one per activity, in its earliest phase), in the order of
    parameter step_order. The first ``steps_per_phase`` of each phase are steps while the
    day's total stays within ``daily_minutes_max``; the rest are listed as alternatives."""
    by_activity = {}
    for step in ev.of_kind("step"):
        by_activity.setdefault(step["activity"], []).append(step)
    region_order, rank = kb.region_order, kb.rank
    prefer = kb.parameter_values.get("prefer_matched_interests", False)
    leads = ev.index("lead", "activity")
    key = step_order(kb)
    ranked = []
    for activity_id, facts in by_activity.items():
        phase = min((f["phase"] for f in facts), key=lambda p: phase_order(kb, p))
        facts = sorted((f for f in facts if f["phase"] == phase), key=lambda f: region_order[f["region"]])
        to_try = bool(prefer and _provisional(kb, ev, facts[0]))
        if phase in kb.parameter_values.get("interest_first_phases", ()):
            # enrichment: what the child named first, then child-led activities, then to try
            to_try = (to_try, not _named_interest(kb, ev, facts[0]))
        # Enrichment (parameter interest_first_phases) follows what the child enjoys before region.
        region = 0 if phase in kb.parameter_values.get("interest_first_phases", ()) else region_order[facts[0]["region"]]
        ranked.append((key({"phase": phase, "start_phase": start_phase, "phase_order": phase_order(kb, phase),
                            "region": region, "leads": (activity_id,) in leads, "to_try": to_try,
                            "rank": rank[activity_id]}), facts))
    ranked.sort(key=lambda item: item[0])
    # Stepping down (a rule's step_down conclusion, brief section 22): fewer steps per phase.
    per_phase_limit = kb.parameter_values["steps_per_phase" if not ev.of_kind("step_down")
                                          else "step_down_steps_per_phase"]
    day_limit = _daily_limit(kb, assessment, ev)
    most_steps, most_minutes = _step_down_cap(ev, before)
    if most_minutes is not None:
        day_limit = min(day_limit, most_minutes)
    # A step a rule leads with (grounding, the relational goal's coaching) keeps its place in
    # the day: its minutes are reserved before any other step is weighed against the limit.
    reserved = {facts[0]["activity"]: _step(kb, assessment, ev, reasons, facts, f"lead:{facts[0]['activity']}")
                for _, facts in ranked if (facts[0]["activity"],) in leads}
    steps, alternatives, over_day, per_phase, day = [], [], [], {}, {}
    for _, facts in ranked:
        phase = facts[0]["phase"]
        lead = reserved.pop(facts[0]["activity"], None)
        step = None
        if per_phase.get(phase, 0) < per_phase_limit and (most_steps is None or len(steps) < most_steps):
            step_id = f"S{len(steps) + 1}"
            step = dict(lead, id=step_id) if lead else _step(kb, assessment, ev, reasons, facts, step_id)
            with_step = _add_to_day(day, step)
            planned = with_step
            for other in reserved.values():
                planned = _add_to_day(planned, other)
            if steps and not lead and step["counted"] and sum(high for _, high in planned.values()) > day_limit:
                over_day.append(step["name"])
                step = None
        if step:
            per_phase[phase] = per_phase.get(phase, 0) + 1
            day = with_step
            steps.append(step)
        else:
            alternatives.append({"phase": phase, "activity": facts[0]["activity"],
                                 "name": kb.activities[facts[0]["activity"]]["name"],
                                 "targets": [f["region"] for f in facts],
                                 "rules": unique(reasons.rule(f) for f in reversed(reasons.chain(facts[0])))})
    daily_time = {"minutes": [round(sum(low for low, _ in day.values())), round(sum(high for _, high in day.values()))],
                  "limit": day_limit, "parameter": "daily_minutes_max", "left_out": over_day}
    return steps, alternatives, daily_time


def _add_to_day(day, step):
    """The day's minutes {part: (low, high)} with ``step`` added: a shared dose is counted
    once for its phase (the steps are rotated within it), any other dose per step."""
    if not step["counted"]:
        return day
    part = step["phase"] if step["dose"]["shared"] else step["id"]
    low, high = step["dose"]["daily_minutes"]
    old_low, old_high = day.get(part, (0, 0))
    return dict(day, **{part: (max(old_low, low), max(old_high, high))})


def _daily_limit(kb, assessment, ev):
    """daily_minutes_max for the developmental age of the lowest judged region
    (chronological age when no region is judged)."""
    ages = [f["developmental_age"] for f in ev.of_kind("region_band") if f.get("developmental_age") is not None]
    age = min(ages) if ages else assessment.age_years
    table = kb.parameter_values["daily_minutes_max"]
    return next((row["minutes"] for row in table if age < row["dev_age_below"]), table[-1]["minutes"])


def _step(kb, assessment, ev, reasons, facts, step_id):
    """One step in full: dose, the 6 Rs, rules, justification and sources."""
    lead = facts[0]
    activity_id, region = lead["activity"], lead["region"]
    chain = reasons.chain(lead)
    dose_fact = ev.index("dosed", "activity", "region", "phase")[(activity_id, region, lead["phase"])][0]
    rs_facts = _rs_met(kb, ev, activity_id, region, lead["phase"])
    rules = unique([reasons.rule(f) for f in reversed(chain)]
                    + [reasons.rule(f) for r in kb.six_rs for f in rs_facts[r]]
                    + [reasons.rule(dose_fact)])
    dose = kb.doses[dose_fact["dose"]]
    activity = kb.activities[activity_id]
    per_day = 1 if dose["per"] == "day" else 7
    form = ev.index("form", "activity").get((activity_id,))
    return {
        "id": step_id,
        "phase": lead["phase"],
        "activity": activity_id,
        "name": activity["name"],
        "category": activity["category"],
        "description": activity["description"],
        # the age-respectful form a rule chose for a young person (AGE-004), in the catalogue's words
        "form": activity["adolescent_form"] if form else None,
        # Not weighed against the day's limit (parameter daily_limit_exempt, brief sections 12, 27):
        # co-regulation moments, and enrichment the child already enjoys, are not added load.
        "counted": not _exempt(kb, ev, activity, lead),
        "targets": [f["region"] for f in facts],
        "functions": activity.get("functions", []),
        "dose": {
            "frequency": dose["frequency"],
            "minutes": minutes_text(dose),
            "daily_minutes": [round(dose["times"][i] * dose["minutes"][i] / per_day, 1) for i in (0, 1)],
            "shared": dose.get("shared", False),
            "who": sorted({f["via"] for f in rs_facts["relational"]}),
            "where": _where(kb, assessment, ev, activity_id),
            "because": reasons.text(dose_fact),
        },
        "six_rs": {r: "; ".join(reasons.text(f) for f in rs_facts[r]) for r in kb.six_rs},
        "provisional": _provisional(kb, ev, lead),
        "rules": rules,
        "because": " ".join(reasons.text(f) for f in reversed(chain) if f["kind"] in ("need", "candidate", "step")),
        "sources": unique(reasons.sources(rules) + activity["provenance"]["sources"]),
    }


def _where(kb, assessment, ev, activity_id):
    """Where a step happens: the settings a rule found it reachable in (SAFE-010), named as the
    child's own setting when one stands in for them (a ward for home and clinic)."""
    reachable = [f["setting"] for f in ev.index("reachable", "activity").get((activity_id,), [])]
    stands_in = kb.parameter_values.get("setting_stands_in", {})
    own = kb.setting_words.normalise(assessment.settings)[0]
    out = []
    for setting in kb.activities[activity_id]["settings"]:
        if setting in reachable:
            named = [s for s in own if setting in stands_in.get(s, ())] or [setting]
            out.extend(n for n in named if n not in out)
    return out
