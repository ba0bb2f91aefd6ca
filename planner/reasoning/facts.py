"""Validated assessment + knowledge base -> the input facts of one session.

Generic over the catalogue: regions, functions, activities and doses come from the
knowledge base. Region aggregates (mean, coverage) are computed here because
durable-rules has no aggregation; every judgement on them is a rule.
"""
from __future__ import annotations


def fact_id(fact):
    """A fact's identity is its content: the same conclusion twice is one fact.

    durable-rules would otherwise use a 32-bit hash of the content, which can collide.
    """
    return fact["kind"] + "|" + "|".join(f"{k}={fact[k]}" for k in sorted(fact) if k not in ("kind", "id"))


def _fact(kind, **fields):
    fact = dict(sorted(fields.items()))   # field order never depends on the input file's key order
    fact["kind"] = kind
    fact["id"] = fact_id(fact)
    return fact


def region_summaries(assessment, kb):
    """Per region: rated and total functions, coverage, mean and developmental age."""
    scale = kb.parameters["rating_scale_max"]["value"]
    summaries = []
    for region in kb.regions.values():
        ids = [fid for fid, f in kb.functions.items() if f["region"] == region["id"]]
        scores = [assessment.functioning[fid] for fid in ids if fid in assessment.functioning]
        summary = {
            "region": region["id"], "order": region["order"], "stage": region["stage"],
            "rated": len(scores), "total": len(ids),
            "coverage": round(len(scores) / len(ids), 3) if ids else 0.0,
            "rated_functions": [fid for fid in ids if fid in assessment.functioning],
            "unrated_functions": [fid for fid in ids if fid not in assessment.functioning],
        }
        if scores:
            mean = sum(scores) / len(scores)
            summary["mean"] = round(mean, 2)
            # [A] developmental age = chronological age x (mean / scale maximum): domain brief section 2.
            summary["developmental_age"] = round(assessment.age_years * mean / scale, 1)
        summaries.append(summary)
    return summaries


def build_facts(assessment, kb, summaries=None):
    """All input facts, in a canonical order (so file key order never matters)."""
    facts = [_fact("client", age_years=assessment.age_years)]
    for fid, score in sorted(assessment.functioning.items()):
        f = kb.functions[fid]
        facts.append(_fact("function_score", function=fid, region=f["region"], factor=f["factor"], score=score))
    for s in summaries or region_summaries(assessment, kb):
        facts.append(_fact("region_summary", **{k: v for k, v in s.items() if not k.endswith("_functions")}))
    for period, ratings in sorted(assessment.history.items()):
        facts.append(_fact("history", period=period, **ratings))
    if assessment.relational_health is not None:
        facts.append(_fact("relational_health", score=assessment.relational_health))
    if assessment.arousal is not None:
        facts.append(_fact("arousal", state=assessment.arousal))
    if assessment.dissociative_state is not None:
        facts.append(_fact("dissociative_state", state=assessment.dissociative_state))
    roles = kb.role_words.normalise(assessment.team)[0]
    # The default team is assumed unless the team names an adult of the child's daily life
    # (parameter daily_life_roles): a team of only a coach or a social worker still has a
    # carer somewhere, who delivers most of the plan.
    daily = set(kb.parameter_values["daily_life_roles"])
    facts.append(_fact("context", team_daily=bool(set(roles) & daily), interests_given=bool(assessment.interests)))
    facts += [_fact("team", role=r) for r in roles]
    facts += [_fact("interest", tag=t) for t in kb.tag_words.normalise(assessment.interests)[0]]
    facts += [_fact("avoid", tag=t) for t in kb.tag_words.normalise(assessment.avoid)[0]]
    return facts + catalogue_facts(kb)


_CATALOGUE = {}


def catalogue_facts(kb):
    """Facts about the activity catalogue and doses: the same for every assessment, so
    built once per knowledge base (the engine copies them into each session)."""
    if kb.digest in _CATALOGUE:
        return _CATALOGUE[kb.digest]
    facts = []
    for rank, (aid, a) in enumerate(kb.activities.items(), start=1):
        facts.append(_fact("activity", activity=aid, stage=a["stage"], enrichment=a["enrichment"],
                           adapts_to_interests=a.get("adapts_to_interests", False),
                           dev_min=a["dev_age"]["min"], dev_max=a["dev_age"]["max"], rank=rank,
                           cortex_min=a.get("cortex_min", 0)))
        facts += [_fact("activity_target", activity=aid, region=r, stage=a["stage"]) for r in a["targets"]]
        facts += [_fact("activity_tag", activity=aid, tag=t) for t in a["tags"]]
        facts += [_fact("activity_design", activity=aid, r=r) for r in a["rs_by_design"]]
        facts += [_fact("activity_deliverer", activity=aid, role=r) for r in a["delivered_by"]]
        facts += [_fact("activity_need", activity=aid, role=r) for r in a.get("needs", ())]
    for did, dose in kb.doses.items():
        facts += [_fact("dose_band", dose=did, phase=dose["phase"], band=b) for b in dose["bands"]]
    facts += [_fact("dose_gives", phase=phase, r=r) for phase, gives in kb.dose_gives.items() for r in sorted(gives)]
    facts += [_fact("strength_use", function=fid, how=use["how"]) for fid, use in kb.strength_uses.items()]
    _CATALOGUE[kb.digest] = facts
    return facts
