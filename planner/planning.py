"""Assessment -> facts -> engine -> conclusions + trace -> ``Plan``.

The plan is assembled only from what rules concluded: every step, deferral, exclusion,
strength and review carries the ids of the rules behind it and their justification.
"""
from __future__ import annotations

from . import __version__
from .explain import because
from .facts import build_facts, normalise, region_summaries
from .plan import Plan

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
        for fid in s["rated_functions"] + s["unrated_functions"]:
            band = function_bands.get(fid)
            functions.append({"id": fid, "label": kb.label(fid), "score": assessment.functioning.get(fid),
                              "band": band["band"] if band else "unrated",
                              "rules": [reasons.rule(band)] if band else []})
        functions.sort(key=lambda f: kb.rank[f["id"]])
        rows.append({
            "id": s["region"],
            "label": kb.label(s["region"]),
            "mean": s.get("mean"),
            # only what a rule concluded: a band, "insufficient_data", or, if no rule judged it, "unjudged"
            "band": fact["band"] if fact and fact["kind"] == "region_band"
            else "insufficient_data" if fact else "unjudged",
            "developmental_age_years": s.get("developmental_age") if s["region"] in bands else None,
            "rated": s["rated_functions"],
            "unrated": s["unrated_functions"],
            "functions": functions,
            "rules": [reasons.rule(fact)] if fact else [],
            "because": reasons.text(fact) if fact else None,
        })
    return rows


def _steps(kb, assessment, ev, reasons):
    """Steps grouped by activity (one per activity, in its earliest phase), ordered
    bottom-up by phase, then target region, then catalogue rank. The first
    ``steps_per_phase`` of each phase are steps; the rest are listed as alternatives."""
    by_activity = {}
    for step in ev.of_kind("step"):
        by_activity.setdefault(step["activity"], []).append(step)
    region_order, rank = kb.region_order, kb.rank
    ranked = []
    for activity_id, facts in by_activity.items():
        phase = min((f["phase"] for f in facts), key=lambda p: _phase_order(kb, p))
        facts = sorted((f for f in facts if f["phase"] == phase), key=lambda f: region_order[f["region"]])
        ranked.append(((_phase_order(kb, phase), region_order[facts[0]["region"]], rank[activity_id]), facts))
    ranked.sort(key=lambda item: item[0])
    limit = kb.parameter_values["steps_per_phase"]
    steps, alternatives, per_phase = [], [], {}
    for _, facts in ranked:
        phase = facts[0]["phase"]
        per_phase[phase] = per_phase.get(phase, 0) + 1
        if per_phase[phase] <= limit:
            steps.append(_step(kb, assessment, ev, reasons, facts, f"S{len(steps) + 1}"))
        else:
            alternatives.append({"phase": phase, "activity": facts[0]["activity"],
                                 "name": kb.activities[facts[0]["activity"]]["name"],
                                 "targets": [f["region"] for f in facts],
                                 "rules": _unique(reasons.rule(f) for f in reversed(reasons.chain(facts[0])))})
    return steps, alternatives


def _step(kb, assessment, ev, reasons, facts, step_id):
    """One step in full: dose, the 6 Rs, rules, justification and sources."""
    lead = facts[0]
    activity_id, region = lead["activity"], lead["region"]
    chain = reasons.chain(lead)
    dose_fact = ev.index("dosed", "activity", "region")[(activity_id, region)][0]
    meets = ev.index("meets", "activity", "region", "r")
    rs_facts = {r: meets[(activity_id, region, r)] for r in kb.six_rs}
    rules = _unique([reasons.rule(f) for f in reversed(chain)]
                    + [reasons.rule(f) for r in kb.six_rs for f in rs_facts[r]]
                    + [reasons.rule(dose_fact)])
    dose = kb.doses[dose_fact["dose"]]
    activity = kb.activities[activity_id]
    settings = set(normalise(assessment.settings, kb.setting_words))
    return {
        "id": step_id,
        "phase": lead["phase"],
        "activity": activity_id,
        "name": activity["name"],
        "description": activity["description"],
        "targets": [f["region"] for f in facts],
        "functions": activity.get("functions", []),
        "dose": {
            "frequency": dose["frequency"],
            "minutes": dose["minutes"],
            "who": sorted({f["via"] for f in rs_facts["relational"]}),
            "where": [s for s in activity["settings"] if not settings or s in settings] or activity["settings"],
            "because": reasons.text(dose_fact),
        },
        "six_rs": {r: "; ".join(reasons.text(f) for f in rs_facts[r]) for r in kb.six_rs},
        "rules": rules,
        "because": " ".join(reasons.text(f) for f in reversed(chain) if f["kind"] in ("need", "candidate", "step")),
        "sources": _unique(reasons.sources(rules) + activity["provenance"]["sources"]),
    }


def _deferred(kb, ev, reasons, stepped):
    grouped = {}
    for f in ev.of_kind("deferred"):
        if f["activity"] not in stepped:
            grouped.setdefault(f["activity"], []).append(f)
    out = []
    for activity_id in sorted(grouped, key=kb.rank.get):
        facts = grouped[activity_id]
        gates = [f for fact in facts for f in reasons.firing(fact).matched.values() if f["kind"] == "gate"]
        rules = _unique([reasons.rule(f) for f in facts] + [reasons.rule(g) for g in gates])
        out.append({
            "activity": activity_id,
            "name": kb.activities[activity_id]["name"],
            "phase": facts[0]["phase"],
            "rules": rules,
            "because": " ".join(_unique([reasons.text(facts[0])] + [reasons.text(g) for g in gates])),
            "gates": _unique([{"by": g["by"], "because": reasons.text(g), "rule": reasons.rule(g)} for g in gates]),
            "until": " and ".join(_unique(f["until"] for f in facts)),
            "sources": reasons.sources(rules),
        })
    return out


def _excluded(kb, ev, reasons, considered):
    grouped = {}
    for f in ev.of_kind("fails"):
        if f["activity"] not in considered:
            grouped.setdefault(f["activity"], []).append(f)
    out = []
    for activity_id in sorted(grouped, key=kb.rank.get):
        fails = sorted(grouped[activity_id], key=lambda f: (kb.six_rs.index(f["r"]), kb.region_order[f["region"]]))
        first = {}
        for f in fails:   # one reason per R: the one for the lowest region
            first.setdefault(f["r"], f)
        out.append({
            "activity": activity_id,
            "name": kb.activities[activity_id]["name"],
            "fails": [{"r": r, "because": reasons.text(f), "rule": reasons.rule(f)} for r, f in first.items()],
            "rules": _unique(reasons.rule(f) for f in fails),
        })
    return out


def _one(ev, reasons, kind):
    facts = ev.of_kind(kind)
    if not facts:
        return None
    fact = facts[0]
    return dict({k: v for k, v in fact.items() if k not in ("kind", "id")},
                rules=[reasons.rule(fact)], because=reasons.text(fact))


def _notes(kb, assessment):
    """Words the vocabulary does not know: the plan cannot use them, so it says so."""
    notes = []
    for field, words, vocabulary in (("interests", assessment.interests, kb.tag_words),
                                     ("avoid", assessment.avoid, kb.tag_words),
                                     ("team", assessment.team, kb.role_words),
                                     ("settings", assessment.settings, kb.setting_words)):
        unknown = [w for w in normalise(words, vocabulary) if w not in vocabulary.values()]
        if unknown:
            notes.append({"field": f"context.{field}", "unmatched": unknown})
    return notes


def make_plan(assessment, kb=None, *, redact=False):
    """Plan one validated assessment with ``kb`` (the bundled knowledge base by default)."""
    from . import engine
    from .knowledge import load_knowledge_base

    kb = kb or load_knowledge_base()
    withheld = []
    if redact:     # name, assessor and notes never reach the plan, and the digest is of what remains
        assessment, withheld = assessment.redacted()
    summaries = region_summaries(assessment, kb)
    ev = engine.evaluate(kb, build_facts(assessment, kb, summaries))
    reasons = _Reasons(kb, ev)
    steps, alternatives = _steps(kb, assessment, ev, reasons)
    stepped = {s["activity"] for s in steps + alternatives}
    deferred = _deferred(kb, ev, reasons, stepped)
    excluded = _excluded(kb, ev, reasons, stepped | {d["activity"] for d in deferred})
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
        state={"arousal": assessment.arousal, "relational_health": assessment.relational_health},
        regions=_regions(kb, assessment, summaries, ev, reasons),
        start=_one(ev, reasons, "start_region") or _one(ev, reasons, "start_state"),
        steps=steps,
        alternatives=alternatives,
        deferred=deferred,
        excluded=excluded,
        strengths=strengths,
        delivery=[{"function": f["function"], "rules": [reasons.rule(f)], "because": reasons.text(f)}
                  for f in ev.of_kind("delivery")],
        cautions=_unique([{"caution": f["caution"], "rules": [reasons.rule(f)], "because": reasons.text(f)}
                          for f in ev.of_kind("caution")]),
        risks=[{"period": f["period"], "domain": f["domain"], "rules": [reasons.rule(f)], "because": reasons.text(f)}
               for f in ev.of_kind("early_risk")],
        regulate_duration=_one(ev, reasons, "regulate_duration"),
        review=_one(ev, reasons, "review"),
        notes=_notes(kb, assessment),
        context_notes=assessment.notes,
        facts=ev.facts,
        redacted=withheld,
        _evaluation=ev,
        _kb=kb,
    )
