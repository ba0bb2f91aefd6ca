"""Assessment -> facts -> engine -> conclusions + trace -> ``Plan``.

The plan is assembled only from what rules concluded: every step, deferral, exclusion,
strength and review carries the ids of the rules behind it and their justification.
"""
from __future__ import annotations

from planner import __version__
from planner.kb.explain import because, minutes_text
from planner.reasoning.facts import build_facts, region_summaries
from planner.kb.policy import step_order
from planner.plans.attainment import attainment
from planner.plans.plan import Plan
from planner.reading.vocabulary import unrecognised

PLAN_FORMAT = "seqplan/plan-1"


class _Reasons:
    """Looks up, for any concluded fact, the firing that produced it and its justification."""

    def __init__(self, kb, evaluation):
        self.kb, self.ev = kb, evaluation
        self._because = {}

    def firing(self, fact):
        return self.ev.trace[self.ev.producers[fact["id"]]]

    def rule(self, fact):
        return self.firing(fact).rule

    def text(self, fact):
        firing = self.firing(fact)
        if firing.n not in self._because:
            self._because[firing.n] = because(self.kb, firing)
        return self._because[firing.n]

    def chain(self, fact):
        """Facts behind ``fact``, nearest first: the derived facts its firing matched, recursively."""
        seen, order, todo = set(), [], [fact]
        while todo:
            current = todo.pop(0)
            if current["id"] in seen or current["id"] not in self.ev.producers:
                continue
            seen.add(current["id"])
            order.append(current)
            todo.extend(self.firing(current).matched.values())
        return order

    def sources(self, rule_ids):
        out = []
        for rid in rule_ids:
            for citation in self.kb.rules[rid]["sources"]:
                if citation not in out:
                    out.append(citation)
        return out


def _unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _phase_order(kb, phase):
    return kb.phases[phase]["order"]


def _regions(kb, assessment, summaries, ev, reasons):
    bands = {f["region"]: f for f in ev.of_kind("region_band")}
    insufficient = {f["region"]: f for f in ev.of_kind("insufficient_data")}
    function_bands = {f["function"]: f for f in ev.of_kind("function_band")}
    rows = []
    for s in summaries:
        fact = bands.get(s["region"]) or insufficient.get(s["region"])
        functions = []
        qualified = s["qualified_functions"]
        for fid in s["rated_functions"] + s["unrated_functions"] + list(qualified):
            band = function_bands.get(fid)
            row = {"id": fid, "label": kb.label(fid), "score": assessment.functioning.get(fid),
                   "band": band["band"] if band else "unrated", "rules": [reasons.rule(band)] if band else []}
            if fid in qualified:     # on the map, marked; out of the region's mean (brief sections 21, 25)
                row["qualified"] = qualified[fid]
            functions.append(row)
        functions.sort(key=lambda f: kb.rank[f["id"]])
        rows.append({
            "id": s["region"],
            "label": kb.label(s["region"]),
            "mean": s.get("mean"),
            # only what a rule concluded: a band, "insufficient_data", or, if no rule judged it, "unjudged"
            "band": fact["band"] if fact and fact["kind"] == "region_band"
            else "insufficient_data" if fact else "unjudged",
            "developmental_age_years": s.get("developmental_age") if s["region"] in bands and not s.get("age_hidden")
            else None,
            "rated": s["rated_functions"],
            "unrated": s["unrated_functions"],
            "qualified": qualified,
            "functions": functions,
            "rules": [reasons.rule(fact)] if fact else [],
            "because": reasons.text(fact) if fact else None,
        })
    return rows


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


def _steps(kb, assessment, ev, reasons, start_phase, before=None):
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
        phase = min((f["phase"] for f in facts), key=lambda p: _phase_order(kb, p))
        facts = sorted((f for f in facts if f["phase"] == phase), key=lambda f: region_order[f["region"]])
        to_try = bool(prefer and _provisional(kb, ev, facts[0]))
        if phase in kb.parameter_values.get("interest_first_phases", ()):
            # enrichment: what the child named first, then child-led activities, then to try
            to_try = (to_try, not _named_interest(kb, ev, facts[0]))
        # Enrichment (parameter interest_first_phases) follows what the child enjoys before region.
        region = 0 if phase in kb.parameter_values.get("interest_first_phases", ()) else region_order[facts[0]["region"]]
        ranked.append((key({"phase": phase, "start_phase": start_phase, "phase_order": _phase_order(kb, phase),
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
                                 "rules": _unique(reasons.rule(f) for f in reversed(reasons.chain(facts[0])))})
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
    rules = _unique([reasons.rule(f) for f in reversed(chain)]
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
        "sources": _unique(reasons.sources(rules) + activity["provenance"]["sources"]),
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


def _blockers(kb, ev, reasons, activity_id):
    """Everything besides a gate that keeps ``activity_id`` from being a step: each R it
    fails (one reason per R, for the lowest region) and any referral it needs."""
    fails = sorted(ev.index("fails", "activity").get((activity_id,), [])
                   + ev.index("activity_fails", "activity").get((activity_id,), []),
                   key=lambda f: (kb.six_rs.index(f["r"]), kb.region_order.get(f.get("region"), 0)))
    first = {}
    for f in fails:
        first.setdefault(f["r"], f)
    out = [{"r": r, "because": reasons.text(f), "rule": reasons.rule(f)} for r, f in first.items()]
    referrals = ev.index("referral", "activity").get((activity_id,), [])
    if referrals:
        out.append({"r": "referral", "because": reasons.text(referrals[0]), "rule": reasons.rule(referrals[0]),
                    "roles": sorted({f["role"] for f in referrals})})
    return out


def _by_activity(facts, skip):
    """{activity: [facts]} for the facts whose activity is not in ``skip``."""
    grouped = {}
    for f in facts:
        if f["activity"] not in skip:
            grouped.setdefault(f["activity"], []).append(f)
    return grouped


def _lasting(kb, ev):
    """Activities that fail an R in a way waiting will not lift (parameter
    fails_not_lifted_by_waiting: the child's real age, their body, an unsafe adult, what the
    family asked to avoid): they are not listed as waiting, only as not recommended."""
    lasting = kb.parameter_values.get("fails_not_lifted_by_waiting", {})
    return {f["activity"] for kind in ("fails", "activity_fails") for f in ev.of_kind(kind)
            if f["r"] in lasting.get("rs", ()) or f.get("via") in lasting.get("via", ())}


def _deferred(kb, ev, reasons, stepped):
    grouped = _by_activity(ev.of_kind("deferred"), stepped | _lasting(kb, ev))
    out = []
    for activity_id in sorted(grouped, key=kb.rank.get):
        facts = grouped[activity_id]
        # What holds each deferral: the concluded facts its rule matched besides the candidate
        # (a closed gate; for DEFER-002 the finding that the child dissociates).
        gates = [f for fact in facts for f in reasons.firing(fact).matched.values()
                 if f["kind"] != "candidate" and f["id"] in ev.producers]
        also = _blockers(kb, ev, reasons, activity_id)
        rules = _unique([reasons.rule(f) for f in facts] + [reasons.rule(g) for g in gates] + [b["rule"] for b in also])
        out.append({
            "activity": activity_id,
            "name": kb.activities[activity_id]["name"],
            "phase": facts[0]["phase"],
            "rules": rules,
            "because": " ".join(_unique([reasons.text(facts[0])] + [reasons.text(g) for g in gates])),
            "gates": _unique([{"by": g.get("by", g.get("caution", g["kind"])), "because": reasons.text(g),
                               "rule": reasons.rule(g)} for g in gates]),
            # every blocker, so the activity is eligible once `until` holds: the gates' conditions,
            # then each R it fails and any referral it needs, in the rules' own words
            "until": "; ".join(_unique([" and ".join(_unique(f["until"] for f in facts))]
                                       + [f"{b['r']}: {b['because']}" for b in also])),
            "gate_until": " and ".join(_unique(f["until"] for f in facts)),
            "also_blocked_by": also,
            "sources": reasons.sources(rules),
        })
    return out


def _excluded(kb, ev, reasons, considered):
    """Activities that fail an R, each with one reason per R. A referral it would also need
    is left out: an activity not recommended for this child is no reason to refer."""
    failing = {f["activity"] for kind in ("fails", "activity_fails") for f in ev.of_kind(kind)} - considered
    out = []
    for activity_id in sorted(failing, key=kb.rank.get):
        blockers = [b for b in _blockers(kb, ev, reasons, activity_id) if b["r"] != "referral"]
        out.append({
            "activity": activity_id,
            "name": kb.activities[activity_id]["name"],
            "fails": blockers,
            "rules": _unique(b["rule"] for b in blockers),
        })
    return out


def _referrals(kb, ev, reasons, considered):
    """Activities that meet every R the team can judge but need a professional the team lacks."""
    grouped = _by_activity(ev.of_kind("referral"), considered)
    return [{"activity": activity_id, "name": kb.activities[activity_id]["name"],
             "roles": sorted({f["role"] for f in grouped[activity_id]}),
             "phase": kb.activities[activity_id]["stage"],
             "rules": [reasons.rule(grouped[activity_id][0])], "because": reasons.text(grouped[activity_id][0])}
            for activity_id in sorted(grouped, key=kb.rank.get)]


def _to_consider(kb, ev, reasons):
    """Services beyond the model (brief section 24): each with every reason a rule gave for it,
    and whether a referral is already made."""
    needs = ev.index("referral_need", "service")
    labels = kb.parameter_values.get("referral_services", {})
    out = []
    for fact in sorted(ev.of_kind("consider_referral"), key=lambda f: f["service"]):
        why = needs.get((fact["service"],), [])
        out.append({"service": fact["service"], "label": labels.get(fact["service"], fact["service"]),
                    "status": fact["status"], "rules": _unique([reasons.rule(n) for n in why] + [reasons.rule(fact)]),
                    "because": " ".join(_unique([reasons.text(n) for n in why]
                                                + ([reasons.text(fact)] if fact["status"] == "made" else [])))})
    return out


def review_date(assessed_on, review):
    import datetime as dt

    if not review:
        return None
    return (dt.date.fromisoformat(assessed_on) + dt.timedelta(weeks=review["weeks"])).isoformat()


def _objectives(kb, assessment, ev, reasons, review, attained):
    """The objectives rules set (brief section 23), in the rules' order: each with its target, the
    date it is due (the review), what is recorded and by whom, and how the same objective fared
    at the previous review (carried forward when not met, stepped up when met)."""
    from planner.kb.explain import plain_language

    signs = plain_language(kb).get("signs_to_record", {})
    due = review_date(assessment.assessed_on, review)
    earlier = {a["about"]: a for a in attained or ()}
    out = []
    for n, fact in enumerate(sorted(ev.of_kind("objective"), key=lambda f: (f["order"], f["id"])), start=1):
        sign = signs.get(fact["sign"], {})
        previous = earlier.get(fact["about"])
        out.append({
            "id": f"O{n}", "goal": fact["goal"], "about": fact["about"],
            "label": kb.label(fact["about"]), "baseline": fact["baseline"], "target": fact["target"], "due": due,
            "sign": fact["sign"], "record": sign.get("text"), "observers": sign.get("by", []),
            "previously": None if previous is None else {
                "score": previous["score"], "label": previous["label"], "evidence": previous["evidence"],
                "now": "carried forward" if not previous["met"] else "met; the next target"},
            "rules": _unique(reasons.rule(f) for f in reversed(reasons.chain(fact))),
            "because": reasons.text(fact), "fact": fact["id"]})
    return out


def _lead(kb, ev, reasons):
    """The named lead: the candidate a rule found, in the order of parameter lead_roles (section 23)."""
    order = kb.parameter_values["lead_roles"]
    candidates = sorted(ev.of_kind("lead_candidate"),
                        key=lambda f: (f["rank"], order.index(f["role"]) if f["role"] in order else len(order)))
    if not candidates:
        return {"role": None, "rules": [], "because": None}
    return {"role": candidates[0]["role"], "rules": [reasons.rule(candidates[0])], "because": reasons.text(candidates[0])}


def _start(ev, reasons):
    """Where the plan starts: the phase and region of the starting rule's conclusion."""
    return _one(ev, reasons, "start_region") or _one(ev, reasons, "start_state")


def _review(ev, reasons):
    """Every review rule that fired proposes an interval; the plan uses the shortest and
    keeps every reason (what would count as progress, what to complete)."""
    facts = sorted(ev.of_kind("review"), key=lambda f: (f["weeks"], reasons.rule(f), f["id"]))
    if not facts:
        return None
    return {"weeks": facts[0]["weeks"], "region": facts[0]["region"], "band": facts[0]["band"],
            "rules": _unique(reasons.rule(f) for f in facts),
            "because": " ".join(_unique(reasons.text(f) for f in facts)),
            "reasons": [{"weeks": f["weeks"], "rule": reasons.rule(f), "because": reasons.text(f)} for f in facts]}


def _listed(ev, reasons, kind):
    """Every fact of ``kind``, each with the rule behind it and its justification."""
    facts = sorted(ev.of_kind(kind), key=lambda f: (f.get("order", 0), f["id"]))   # `order`: the rule's own
    return [dict({k: v for k, v in f.items() if k not in ("kind", "id")}, rules=[reasons.rule(f)],
                 because=reasons.text(f)) for f in facts]


def _one(ev, reasons, kind):
    facts = ev.of_kind(kind)
    if not facts:
        return None
    fact = facts[0]
    return dict({k: v for k, v in fact.items() if k not in ("kind", "id")},
                rules=[reasons.rule(fact)], because=reasons.text(fact))


def make_plan(assessment, kb=None, *, redact=False):
    """Plan one validated assessment with ``kb`` (the bundled knowledge base by default)."""
    from planner.reasoning import engine
    from planner.kb.knowledge import load_knowledge_base

    kb = kb or load_knowledge_base()
    withheld = []
    if redact:     # name, assessor and notes never reach the plan, and the digest is of what remains
        assessment, withheld = assessment.redacted()
    summaries = region_summaries(assessment, kb)
    ev = engine.evaluate(kb, build_facts(assessment, kb, summaries))
    reasons = _Reasons(kb, ev)
    start = _start(ev, reasons)
    # The plan for the previous assessment, when the file gives one: the step-down cap and the
    # attainment of its objectives (brief sections 22, 23).
    earlier = assessment.earlier()
    before = make_plan(earlier, kb) if earlier else None
    steps, alternatives, daily_time = _steps(kb, assessment, ev, reasons, start and start["phase"], before)
    if start:   # blocked: no step where the plan starts (the review then asks to unblock it)
        start["blocked"] = not any(s["phase"] == start["phase"] and start["region"] in s["targets"] for s in steps)
    review = _review(ev, reasons)
    attained = attainment(before, earlier, assessment, kb) if before else []
    objectives = _objectives(kb, assessment, ev, reasons, review, attained)
    stepped = {s["activity"] for s in steps + alternatives}
    deferred = _deferred(kb, ev, reasons, stepped)
    excluded = _excluded(kb, ev, reasons, stepped | {d["activity"] for d in deferred})
    considered = stepped | {d["activity"] for d in deferred} | {e["activity"] for e in excluded}
    client = {"id": assessment.client_id, "age_years": assessment.age_years}
    if assessment.name and not redact:
        client["name"] = assessment.name
    strengths = [dict(function=f["function"], label=kb.label(f["function"]), region=f["region"], score=f["score"],
                      rules=[reasons.rule(f)], because=reasons.text(f)) for f in ev.of_kind("strength")]
    strengths.sort(key=lambda s: kb.rank[s["function"]])
    return Plan(
        format=PLAN_FORMAT,
        seqplan_version=__version__,
        input_digest=assessment.digest,
        kb={"name": kb.name, "version": kb.version, "digest": kb.digest},
        client=client,
        assessed_on=assessment.assessed_on,
        assessor=assessment.assessor,
        state={"arousal": assessment.arousal, "relational_health": assessment.relational_health,
               "dissociative_state": assessment.dissociative_state},
        regions=_regions(kb, assessment, summaries, ev, reasons),
        start=start,
        phases_needed=sorted({f["phase"] for f in ev.of_kind("need")}, key=lambda p: _phase_order(kb, p)),
        steps=steps,
        daily_time=daily_time,
        alternatives=alternatives,
        deferred=deferred,
        excluded=excluded,
        referrals=_referrals(kb, ev, reasons, considered),
        strengths=strengths,
        delivery=[{"function": f.get("function"), "via": f.get("via", "strength"), "rules": [reasons.rule(f)],
                   "because": reasons.text(f)} for f in ev.of_kind("delivery")],
        cautions=_unique([{"caution": f["caution"], "rules": [reasons.rule(f)], "because": reasons.text(f)}
                          for f in ev.of_kind("caution")]),
        risks=[{"period": f["period"], "domain": f["domain"], "rules": [reasons.rule(f)], "because": reasons.text(f)}
               for f in ev.of_kind("early_risk") + ev.of_kind("later_risk")],
        goals=_listed(ev, reasons, "goal"),
        in_the_moment=_listed(ev, reasons, "in_the_moment"),
        relational_strength=_one(ev, reasons, "relational_strength"),
        regulate_duration=_one(ev, reasons, "regulate_duration"),
        review=review,
        objectives=objectives,
        lead=_lead(kb, ev, reasons),
        attainment=attained,
        notes=unrecognised(assessment, kb, echo=False),
        context_notes=assessment.notes,
        referrals_to_consider=_to_consider(kb, ev, reasons),
        history=[dict(period=f["period"], label=kb.label(f["period"]), adversity=f["adversity"],
                      relational_poverty=f["relational_poverty"], rules=[reasons.rule(f)], because=reasons.text(f))
                 for f in sorted(ev.of_kind("history_reported"), key=lambda f: kb.periods[f["period"]]["starts_at_years"])],
        own_goal=dict(assessment.own_goal, rules=[reasons.rule(g) for g in ev.of_kind("goal") if g["goal"] == "own"])
        if assessment.own_goal else None,
        step_down=_one(ev, reasons, "step_down"),
        since_previous=[dict({k: v for k, v in f.items() if k != "id"}, rules=[reasons.rule(f)], because=reasons.text(f))
                        for kind in ("function_fell", "region_not_improved", "region_improved")
                        for f in sorted(ev.of_kind(kind), key=lambda f: kb.rank.get(f.get("function"), 0)
                                        if kind == "function_fell" else kb.region_order[f["region"]])],
        language={"home_language": assessment.home_language, "interpreter": bool(ev.of_kind("language"))}
        if ev.of_kind("language") else None,
        facts=ev.facts,
        redacted=withheld,
        _evaluation=ev,
        _kb=kb,
    )
