"""Assessment -> facts -> engine -> conclusions + trace -> ``Plan``.

The plan is assembled only from what rules concluded: every step, deferral, exclusion,
strength and review carries the ids of the rules behind it and their justification.
"""
from __future__ import annotations

from planner.version import __version__
from planner.kb.explain import because
from planner.reasoning.facts import build_facts, region_summaries
from planner.plans.attainment import attainment
from planner.plans.plan import Plan
from planner.plans.selection import phase_order, select_steps, unique
from planner.presentation import digest as presentation_digest
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
        rules = unique([reasons.rule(f) for f in facts] + [reasons.rule(g) for g in gates] + [b["rule"] for b in also])
        out.append({
            "activity": activity_id,
            "name": kb.activities[activity_id]["name"],
            "phase": facts[0]["phase"],
            "rules": rules,
            "because": " ".join(unique([reasons.text(facts[0])] + [reasons.text(g) for g in gates])),
            "gates": unique([{"by": g.get("by", g.get("caution", g["kind"])), "because": reasons.text(g),
                               "rule": reasons.rule(g)} for g in gates]),
            # every blocker, so the activity is eligible once `until` holds: the gates' conditions,
            # then each R it fails and any referral it needs, in the rules' own words
            "until": "; ".join(unique([" and ".join(unique(f["until"] for f in facts))]
                                       + [f"{b['r']}: {b['because']}" for b in also])),
            "gate_until": " and ".join(unique(f["until"] for f in facts)),
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
            "rules": unique(b["rule"] for b in blockers),
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
                    "status": fact["status"], "rules": unique([reasons.rule(n) for n in why] + [reasons.rule(fact)]),
                    "because": " ".join(unique([reasons.text(n) for n in why]
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
            "rules": unique(reasons.rule(f) for f in reversed(reasons.chain(fact))),
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
            "rules": unique(reasons.rule(f) for f in facts),
            "because": " ".join(unique(reasons.text(f) for f in facts)),
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
    steps, alternatives, daily_time = select_steps(kb, assessment, ev, reasons, start and start["phase"], before)
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
        presentation={"digest": presentation_digest()},
        client=client,
        assessed_on=assessment.assessed_on,
        assessor=assessment.assessor,
        state={"arousal": assessment.arousal, "relational_health": assessment.relational_health,
               "dissociative_state": assessment.dissociative_state},
        regions=_regions(kb, assessment, summaries, ev, reasons),
        start=start,
        phases_needed=sorted({f["phase"] for f in ev.of_kind("need")}, key=lambda p: phase_order(kb, p)),
        steps=steps,
        daily_time=daily_time,
        alternatives=alternatives,
        deferred=deferred,
        excluded=excluded,
        referrals=_referrals(kb, ev, reasons, considered),
        strengths=strengths,
        delivery=[{"function": f.get("function"), "via": f.get("via", "strength"), "rules": [reasons.rule(f)],
                   "because": reasons.text(f)} for f in ev.of_kind("delivery")],
        cautions=unique([{"caution": f["caution"], "rules": [reasons.rule(f)], "because": reasons.text(f)}
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
