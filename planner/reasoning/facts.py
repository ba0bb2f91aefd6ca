"""Validated assessment + knowledge base -> the input facts of one session.

Generic over the catalogue: regions, functions, activities and doses come from the
knowledge base. Region aggregates (mean, coverage) are computed here because
durable-rules has no aggregation; every judgement on them is a rule.
"""
from __future__ import annotations

from planner.reading.vocabulary import aside_texts, is_noted


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


def qualifiers(assessment, kb, functioning=None, recorded=None, age=None):
    """{function id: kind} for ratings kept out of bands, means and gates: the clinician's
    qualifiers (brief section 21) and functions not yet ratable at the child's age
    (parameter not_ratable_before_years, section 25: kind ``not_yet_applicable``)."""
    functioning = assessment.functioning if functioning is None else functioning
    recorded = assessment.qualifiers if recorded is None else recorded
    age = assessment.age_years if age is None else age
    out = {fid: q["kind"] for fid, q in recorded.items() if fid in functioning}
    for fid, from_age in kb.parameter_values.get("not_ratable_before_years", {}).items():
        if age < from_age:
            out[fid] = "not_yet_applicable"
    return out


def region_summaries(assessment, kb, functioning=None, qualified=None):
    """Per region: rated and total functions, coverage, mean and developmental age, over the
    ratings that measure development (qualified ones are listed apart and left out)."""
    functioning = assessment.functioning if functioning is None else functioning
    qualified = qualifiers(assessment, kb, functioning) if qualified is None else qualified
    scale = kb.parameters["rating_scale_max"]["value"]
    hide_age = set(kb.parameter_values.get("qualifier_hides_developmental_age", ()))
    summaries = []
    for region in kb.regions.values():
        ids = [fid for fid, f in kb.functions.items() if f["region"] == region["id"]]
        applicable = [fid for fid in ids if qualified.get(fid) != "not_yet_applicable"]
        counted = [fid for fid in applicable if fid in functioning and fid not in qualified]
        scores = [functioning[fid] for fid in counted]
        summary = {
            "region": region["id"], "order": region["order"], "stage": region["stage"],
            "rated": len(scores), "total": len(applicable),
            "coverage": round(len(scores) / len(applicable), 3) if applicable else 0.0,
            "rated_functions": counted,
            "unrated_functions": [fid for fid in ids if fid not in functioning and fid not in qualified],
            "qualified_functions": {fid: qualified[fid] for fid in ids if fid in qualified},
        }
        # how much of the region is rated at all, qualified ratings included: a region short of
        # ratings because a condition lowers them is not an incomplete assessment (brief section 21)
        kept = [fid for fid in applicable if fid in functioning and fid in qualified]
        summary["qualified"] = len(kept)
        summary["coverage_all"] = round((len(scores) + len(kept)) / len(applicable), 3) if applicable else 0.0
        if scores:
            mean = sum(scores) / len(scores)
            summary["mean"] = round(mean, 2)
            # [A] developmental age = chronological age x (mean / scale maximum): domain brief section 2.
            # Relevance still uses it, but it is not printed for a region rated in a second language
            # (section 21: it would not measure development).
            summary["developmental_age"] = round(assessment.age_years * mean / scale, 1)
            summary["age_hidden"] = bool(hide_age & set(summary["qualified_functions"].values()))
        # The oldest developmental age of work worth proposing for this region (listed as waiting
        # when a gate holds it): the region's developmental age, or the child's age when it has
        # none, plus parameter road_ahead_years (brief section 25: nothing for years ahead).
        base = summary.get("developmental_age", assessment.age_years)
        summary["road_ahead_age"] = round(min(base, assessment.age_years) + _table(kb, "road_ahead_years", assessment.age_years), 2)
        summaries.append(summary)
    return summaries


def stage_lowest(assessment, kb, summaries):
    """Per stage of treatment (regulate: brainstem and diencephalon together), the lowest rating
    that measures development, preferring on a tie one a carer or teacher can observe (parameter
    objective_signs), and its objective's target (brief section 23)."""
    signs = kb.parameter_values.get("objective_signs", {})
    by_stage = {}
    for s in summaries:
        by_stage.setdefault(s["stage"], []).extend(s["rated_functions"])
    facts = []
    for stage, counted in sorted(by_stage.items()):
        if counted:
            fid = min(counted, key=lambda f: (assessment.functioning[f], f not in signs, kb.rank[f]))
            score = assessment.functioning[fid]
            facts.append(_fact("stage_lowest", stage=stage, function=fid, score=score,
                               target=objective_target(kb, score)))
    return facts


def objective_target(kb, score):
    """A rating objective's target: the score plus its band's step (objective_rating_steps)."""
    step = next(row["step"] for row in kb.parameter_values["objective_rating_steps"] if score < row["below"])
    return min(kb.parameter_values["rating_scale_max"], score + step)


def _period_of(kb, age):
    """(the developmental period containing ``age``, the one before it, or None)."""
    periods = sorted(kb.periods.values(), key=lambda p: p["starts_at_years"])
    current = [p for p in periods if p["starts_at_years"] <= age]
    return current[-1]["id"], (current[-2]["id"] if len(current) > 1 else "none")


def _table(kb, name, age):
    """The value of an age table parameter ([{age_below, value}]) for ``age``."""
    table = kb.parameter_values[name]
    return next((row["value"] for row in table if age < row["age_below"]), table[-1]["value"])


def _context_facts(assessment, kb, qualified):
    """Brief v3 facts: safety, mobility, language, concerns, care, informants, asides, the
    previous assessment (section 19-27; docs/assessment-fields.md)."""
    facts = []
    daily = set(kb.parameter_values["daily_life_roles"])
    for entry in assessment.unsafe_adults:
        # An adult of the child's daily life is taken to share the household unless the entry
        # says otherwise in an aside ("uncle (does not live with us)") or names someone outside
        # it by what they are ("the olders he runs for").
        roles = kb.role_words.match(entry)[0]
        elsewhere = ("not_household" in kb.aside_words.normalise(aside_texts(entry))[0]
                     or "outside_household" in kb.aside_words.match(entry, fuzzy=False)[0])
        # an adult seqplan cannot place is taken to be of the household (the safer reading)
        facts.append(_fact("unsafe_adult", household=(not roles or bool(set(roles) & daily)) and not elsewhere,
                           role=roles[0] if roles else "unknown"))
    if assessment.threat_ongoing:
        facts.append(_fact("threat", ongoing=True))
    if assessment.mobility:
        facts.append(_fact("mobility", level=assessment.mobility))
    asides = {a for field in ("interests", "avoid", "team", "unsafe_adults", "concerns")
              for entry in getattr(assessment, field) for a in kb.aside_words.normalise(aside_texts(entry))[0]}
    if assessment.home_language or assessment.interpreter or "interpreter" in asides:
        facts.append(_fact("language", interpreter=True, home_language=bool(assessment.home_language)))
    for kind in sorted(set(qualified.values())):
        facts.append(_fact("qualifier", what=kind))
    facts += [_fact("concern", concern=c) for c in kb.concern_words.normalise(assessment.concerns)[0]]
    if assessment.looked_after or assessment.placements is not None:
        facts.append(_fact("care", looked_after=assessment.looked_after, placements=assessment.placements or 0))
    if assessment.informants:
        facts.append(_fact("informants", file_review_only=set(assessment.informants) == {"file_review"}))
    if assessment.own_goal:
        facts.append(_fact("own_goal", by=assessment.own_goal.get("by", "young_person")))
    # A service is in hand when the team names it: already involved, or "(referral made)".
    facts += [_fact("referral_made", service=s) for s in kb.service_words.normalise(assessment.team)[0]]
    if "chosen" in asides:
        facts += [_fact("interest", tag=t) for t in kb.tag_words.normalise(
            e for e in assessment.avoid if "chosen" in kb.aside_words.normalise(aside_texts(e))[0])[0]]
    previous = assessment.previous
    if previous:
        before = previous["functioning"]
        summaries = region_summaries(assessment, kb, before, qualifiers(
            assessment, kb, before, previous.get("qualifiers", {})))
        facts += [_fact("previous_region", region=s["region"], mean=s["mean"]) for s in summaries if "mean" in s]
        facts += [_fact("previous_score", function=fid, score=score) for fid, score in sorted(before.items())]
        state = previous.get("current", {})
        facts.append(_fact("previous_state", arousal=state.get("arousal", "unknown"),
                           relational_health=state.get("relational_health", -1),
                           therapy_ended=previous.get("therapy_ended", "no")))
    return facts


def profile(assessment, kb, qualified):
    """The fraction of counted ratings that are typical (plausibility, brief section 26)."""
    counted = [v for fid, v in assessment.functioning.items() if fid not in qualified]
    typical = kb.parameter_values["band_typical_min"]
    return round(sum(v >= typical for v in counted) / len(counted), 3) if counted else 0.0


def build_facts(assessment, kb, summaries=None):
    """All input facts, in a canonical order (so file key order never matters)."""
    qualified = qualifiers(assessment, kb)
    age = assessment.age_years
    current, before = _period_of(kb, age)
    facts = [_fact("client", age_years=age, current_period=current, previous_period=before,
                   typical_fraction=profile(assessment, kb, qualified))]
    for fid, score in sorted(assessment.functioning.items()):
        f = kb.functions[fid]
        facts.append(_fact("function_score", function=fid, region=f["region"], factor=f["factor"], score=score,
                           qualified=qualified.get(fid, "none")))
    summaries = summaries or region_summaries(assessment, kb)
    facts += stage_lowest(assessment, kb, summaries)
    for s in summaries:
        facts.append(_fact("region_summary", **{k: v for k, v in s.items()
                                                 if not k.endswith("_functions") and k != "age_hidden"}))
    for period, ratings in sorted(assessment.history.items()):
        facts.append(_fact("history", period=period, **ratings))
    if assessment.relational_health is not None:
        facts.append(_fact("relational_health", score=assessment.relational_health, target=min(
            kb.parameter_values["rating_scale_max"],
            assessment.relational_health + kb.parameter_values["objective_relational_step"])))
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
    # a specific thing noted to avoid ("loud hand dryers") excludes no family of activities
    avoided = [e for e in assessment.avoid if not is_noted(e, kb.noted_words)]
    facts += [_fact("avoid", tag=t) for t in kb.tag_words.normalise(avoided)[0]]
    facts += [_fact("open_setting", setting=s, by_referral=r) for s, r in open_settings(assessment, kb)]
    facts += _context_facts(assessment, kb, qualified)
    return facts + catalogue_facts(kb)


def open_settings(assessment, kb):
    """[(setting, by referral only)]: the catalogue settings the child can be reached in: their own
    settings (all when none are given) and what a setting stands in for (a ward: home and clinic;
    parameter setting_stands_in); then where a referral reaches (settings_by_referral)."""
    given = kb.setting_words.normalise(assessment.settings)[0] if assessment.settings else sorted(
        {s for a in kb.activities.values() for s in a["settings"]})
    stands_in = kb.parameter_values.get("setting_stands_in", {})
    own = {reached for setting in given for reached in stands_in.get(setting, [setting])}
    by_referral = set(kb.parameter_values.get("settings_by_referral", ())) - own
    return sorted([(s, False) for s in own] + [(s, True) for s in by_referral])


_CATALOGUE = {}


def catalogue_counts(kb):
    """{kind: number of catalogue facts of that kind}: what a rule's unjoined pattern costs."""
    counts = {}
    for fact in catalogue_facts(kb):
        counts[fact["kind"]] = counts.get(fact["kind"], 0) + 1
    return counts


def catalogue_facts(kb):
    """Facts about the activity catalogue and doses: the same for every assessment, so
    built once per knowledge base (the engine copies them into each session)."""
    if kb.digest in _CATALOGUE:
        return _CATALOGUE[kb.digest]
    facts = []
    for rank, (aid, a) in enumerate(kb.activities.items(), start=1):
        ages = a.get("age_years", {})
        facts.append(_fact("activity", activity=aid, stage=a["stage"], enrichment=a["enrichment"],
                           adapts_to_interests=a.get("adapts_to_interests", False),
                           dev_min=a["dev_age"]["min"], dev_max=a["dev_age"]["max"], rank=rank,
                           cortex_min=a.get("cortex_min", 0), age_min=ages.get("min", 0),
                           age_max=ages.get("max", 99), adolescent_form="adolescent_form" in a,
                           on_request=a.get("on_request", False), category=a["category"]))
        facts += [_fact("activity_setting", activity=aid, setting=st) for st in a["settings"]]
        facts += [_fact("activity_choice", activity=aid, tag=t) for t in a.get("chosen_by", ())]
        facts += [_fact("activity_target", activity=aid, region=r, stage=a["stage"]) for r in a["targets"]]
        facts += [_fact("activity_tag", activity=aid, tag=t) for t in a["tags"]]
        facts += [_fact("activity_design", activity=aid, r=r) for r in a["rs_by_design"]]
        facts += [_fact("activity_deliverer", activity=aid, role=r) for r in a["delivered_by"]]
        facts += [_fact("activity_need", activity=aid, role=r) for r in a.get("needs", ())]
    for did, dose in kb.doses.items():
        facts += [_fact("dose_band", dose=did, phase=dose["phase"], band=b) for b in dose["bands"]]
    facts += [_fact("dose_gives", phase=phase, r=r) for phase, gives in kb.dose_gives.items() for r in sorted(gives)]
    facts += [_fact("strength_use", function=fid, how=use["how"]) for fid, use in kb.strength_uses.items()]
    # what a carer or teacher records for an objective on each function (brief section 23)
    values = kb.parameter_values
    signs = values.get("objective_signs", {})
    facts += [_fact("function_sign", function=fid, sign=signs.get(fid, "rating")) for fid in kb.functions]
    facts += [_fact("function_need", function=fid, tag=tag)
              for fid, tag in values.get("sensory_function_needs", {}).items()]
    # the referral tables of parameters.yaml, as facts rules can join (brief section 24)
    facts += [_fact("service_function", service=row["service"], function=fid, age_min=row.get("age_min", 0))
              for row in values.get("referral_functions", ()) for fid in row["functions"]]
    facts += [_fact("service_concern", service=row["service"], concern=c, age_min=row.get("age_min", 0),
                    age_max=row.get("age_max", 99)) for row in values.get("referral_concerns", ()) for c in row["concerns"]]
    _CATALOGUE[kb.digest] = facts
    return facts
