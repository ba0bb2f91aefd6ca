"""Step definitions for the seqplan rule scenarios (features/*.feature).

Every scenario is a clinical vignette: a child described by region scores and
context, planned through the library (``planner.intake.assessment.from_data`` then
``planner.plans.planning.make_plan``), and asserted on the ``Plan`` it returns: its
regions, steps, alternatives, deferrals, exclusions, review and trace.

Tags
----
``@rule:<ID>``   the scenario exercises knowledge-base rule <ID>. It becomes the
                 pytest marker ``rule(id="<ID>")``: run one rule's scenarios with
                 ``pytest features -m "rule(id='GATE-001')"``, all with ``-m rule``.
                 ``seqplan kb coverage`` reads these tags from the .feature text.
``@must_not_fire`` the scenario checks that a rule tagged on it does NOT fire.
``@bug``         the scenario describes correct behaviour that the product does not
                 have yet (see the scenario's description): it is a strict xfail, so
                 it turns red the day the bug is fixed; then drop the tag.
"""
from __future__ import annotations

from pathlib import Path

import parse
import pytest
from pytest_bdd import given, parsers, then, when

from planner.intake.assessment import from_data
from planner.kb.knowledge import load_knowledge_base
from planner.plans.planning import make_plan

HERE = Path(__file__).resolve().parent
SIX_RS = ("relational", "relevant", "repetitive", "rewarding", "rhythmic", "respectful")


@parse.with_pattern(r'[^"]*')
def _quoted(text):
    return text


def P(pattern):
    """``parsers.parse`` where ``{name:q}`` is the text between two double quotes (no quote inside),
    so that 'fails "{r:q}"' cannot swallow 'fails "respectful" by rule "RS-RESPECTFUL-001"'."""
    return parsers.parse(pattern, extra_types={"q": _quoted})


# --------------------------------------------------------------------------- tags

def pytest_configure(config):
    config.addinivalue_line(
        "markers", "rule(id): the scenario exercises knowledge-base rule `id` (from a @rule:<ID> tag)")
    config.addinivalue_line(
        "markers", "must_not_fire: the scenario checks that a tagged rule does not fire")
    config.addinivalue_line(
        "markers", "bug: the scenario describes correct behaviour the product does not have yet (strict xfail)")


def pytest_bdd_apply_tag(tag, function):
    """Map ``@rule:GATE-001`` to ``pytest.mark.rule(id="GATE-001")``.

    pytest-bdd's default turns a tag into ``getattr(pytest.mark, tag)``, i.e. a marker
    literally named ``rule:GATE-001``: unregistrable (the ini ``markers`` line cuts the
    name at the colon), so every such tag raised PytestUnknownMarkWarning.
    """
    if tag.startswith("rule:"):
        pytest.mark.rule(id=tag.split(":", 1)[1])(function)
        return True
    if tag == "bug":
        pytest.mark.bug(function)
        pytest.mark.xfail(strict=True, reason="known product bug, described in the scenario")(function)
        return True
    return None


def pytest_bdd_step_error(request, feature, scenario, step, step_func, step_func_args, exception):
    request.node._bdd_step_failed = True


def pytest_bdd_after_scenario(request, feature, scenario):
    """Keep the tags honest: after a scenario whose steps all passed, every ``@rule:<ID>`` on
    it must have fired in the plan, or, in a ``@must_not_fire`` scenario, must not have."""
    if getattr(request.node, "_bdd_step_failed", False) or HERE not in Path(request.node.path).parents:
        return
    tags = set(scenario.tags) | set(feature.tags)
    rules = sorted(t.split(":", 1)[1] for t in tags if t.startswith("rule:"))
    if not rules:
        return
    plan = request.getfixturevalue("case").plan
    assert plan is not None, f"scenario tagged {rules} never planned an assessment"
    fired = {t["rule"] for t in _trace(plan)}
    if "must_not_fire" in tags:
        wrong = [r for r in rules if r in fired]
        assert not wrong, f"@must_not_fire scenario, yet tagged rule(s) fired: {wrong}"
    else:
        wrong = [r for r in rules if r not in fired]
        assert not wrong, f"tagged rule(s) did not fire: {wrong} (tag @must_not_fire if intended)"


# ---------------------------------------------------------------------- the case

def _kb():
    return load_knowledge_base()


def _words(text):
    return [w.strip() for w in text.split(",") if w.strip()]


def _ident(text):
    """'early childhood' -> 'early_childhood'; 'insufficient data' -> 'insufficient_data'."""
    return text.strip().lower().replace(" ", "_")


def _functions_of(region):
    kb = _kb()
    ids = [fid for fid, f in kb.functions.items() if f["region"] == region]
    assert ids, f"no region called {region!r}; regions: {list(kb.regions)}"
    return ids


class Case:
    """The assessment being described, built up step by step."""

    def __init__(self):
        self.age = None
        self.region_scores = {}
        self.overrides = {}
        self.unrated = set()
        self.only_rated = {}
        self.history = {}
        self.current = {}
        self.context = {}
        self.top = {}          # brief v3 top-level fields: qualifiers, informants, previous
        self.plan = None

    def data(self):
        functioning = {}
        for region, score in self.region_scores.items():
            for fid in _functions_of(region):
                functioning[fid] = score
        for region, n in self.only_rated.items():
            for fid in _functions_of(region)[n:]:
                functioning.pop(fid, None)
        functioning.update(self.overrides)
        for fid in self.unrated:
            functioning.pop(fid, None)
        data = {
            "format": "seqplan/assessment-1",
            "client": {"id": "BDD-001", "age_years": self.age},
            "assessed_on": "2026-11-02",
            "functioning": functioning,
        }
        if self.history:
            data["history"] = self.history
        if self.current:
            data["current"] = self.current
        if self.context:
            data["context"] = self.context
        data.update(self.top)
        return data


@pytest.fixture
def case():
    return Case()


# ------------------------------------------------------------------------- given

def _age(age):
    """Ages are written as in an assessment file: 9, not 9.0."""
    return int(age) if float(age).is_integer() else age


def _child(case, age, brainstem, diencephalon, limbic, cortex):
    case.age = _age(age)
    case.region_scores = {"brainstem": brainstem, "diencephalon": diencephalon,
                          "limbic": limbic, "cortex": cortex}


@given(P("a {age:g}-year-old with region scores brainstem {brainstem:d}, "
                     "diencephalon {diencephalon:d}, limbic {limbic:d}, cortex {cortex:d}"))
@given(P("an {age:g}-year-old with region scores brainstem {brainstem:d}, "
                     "diencephalon {diencephalon:d}, limbic {limbic:d}, cortex {cortex:d}"))
def given_child(case, age, brainstem, diencephalon, limbic, cortex):
    """All 8 functions of each region get the region's score."""
    _child(case, age, brainstem, diencephalon, limbic, cortex)


@given(P("a {age:g}-year-old with every region scored {score:d}"))
@given(P("an {age:g}-year-old with every region scored {score:d}"))
def given_child_even(case, age, score):
    _child(case, age, score, score, score, score)


@given(P('"{function:q}" is rated {score:d}'))
def given_function_score(case, function, score):
    case.overrides[function] = score
    case.unrated.discard(function)


@given(P('"{function:q}" is not rated'))
def given_function_unrated(case, function):
    case.unrated.add(function)


@given(P("only {n:d} {region} functions are rated"))
@given(P("only {n:d} {region} function is rated"))
def given_only_rated(case, n, region):
    """Keeps the region's first ``n`` functions in catalogue order."""
    _functions_of(region)
    case.only_rated[region] = n


@given(P("no {region} functions are rated"))
def given_none_rated(case, region):
    _functions_of(region)
    case.only_rated[region] = 0


@given(P('the child\'s typical arousal is "{state:q}"'))
def given_arousal(case, state):
    case.current["arousal"] = state


@given(P("current relational health is {score:d}"))
def given_relational_health(case, score):
    case.current["relational_health"] = score


@given(P('the child enjoys "{items:q}"'))
def given_interests(case, items):
    case.context["interests"] = _words(items)


@given(P('the child must avoid "{items:q}"'))
def given_avoid(case, items):
    case.context["avoid"] = _words(items)


@given(P('the team is "{items:q}"'))
def given_team(case, items):
    case.context["team"] = _words(items)


@given(P('activities can happen at "{items:q}"'))
def given_settings(case, items):
    case.context["settings"] = _words(items)


@given(P("{period} history is adversity {adversity:d} and relational poverty {poverty:d}"))
def given_history(case, period, adversity, poverty):
    case.history[_ident(period)] = {"adversity": adversity, "relational_poverty": poverty}


# ------------------------------------------------------- given: brief v3 fields (docs/assessment-fields.md)

@given(P('"{adult:q}" is named as an alleged source of harm'))
def given_unsafe_adult(case, adult):
    case.context.setdefault("unsafe_adults", []).append(adult)


@given("a threat to the child is ongoing")
def given_threat(case):
    case.current["threat_ongoing"] = True


@given(P('the child\'s mobility is "{level:q}"'))
def given_mobility(case, level):
    case.context["mobility"] = level


@given(P('"{functions:q}" are qualified as "{kind:q}"'))
@given(P('"{functions:q}" is qualified as "{kind:q}"'))
def given_qualified(case, functions, kind):
    case.top.setdefault("qualifiers", {}).update({f: {"kind": kind} for f in _words(functions)})


@given(P('the family\'s home language is "{language:q}"'))
def given_home_language(case, language):
    case.context["home_language"] = language


@given(P('the young person\'s own goal is "{words:q}"'))
def given_own_goal(case, words):
    case.context["own_goal"] = {"by": "young_person", "words": words}


@given(P('the concerns are "{items:q}"'))
def given_concerns(case, items):
    case.context["concerns"] = _words(items)


@given(P("the child is looked after, with {n:d} placements"))
def given_looked_after(case, n):
    case.context.update(looked_after=True, placements=n)


@given(P('the ratings come from "{items:q}"'))
def given_informants(case, items):
    case.top["informants"] = _words(items)


@given(P('the previous assessment scored every region {score:d}, with arousal "{state:q}"'))
def given_previous(case, score, state):
    case.top["previous"] = {"assessed_on": "2025-11-02", "current": {"arousal": state},
                            "functioning": {fid: score for fid in _kb().functions}}


@given("a course of therapy has ended as planned since")
def given_therapy_ended(case):
    case.top["previous"]["therapy_ended"] = "planned"


# -------------------------------------------------------------------------- when

@when("seqplan plans the assessment")
def when_plan(case):
    case.plan = make_plan(from_data(case.data(), source="<scenario>"))


# ---------------------------------------------------------------- plan helpers

def _parse_fact_id(fid):
    """Inverse of planner.reasoning.facts.fact_id: 'kind|k=v|k=v' -> dict with 'kind' (values as text)."""
    kind, *pairs = fid.split("|")
    fact = {"kind": kind, "id": fid}
    for pair in pairs:
        key, _, value = pair.partition("=")
        fact[key] = value
    return fact


def _fact(plan, ref):
    """A fact from a trace reference: a fact id (looked up in ``plan.facts``) or the fact itself."""
    if isinstance(ref, dict):
        return ref
    facts = getattr(plan, "facts", None) or {}
    return facts.get(ref) or _parse_fact_id(ref)


def _trace(plan):
    """The trace as {n, rule, matched, concluded} dicts, whether ``plan.trace`` holds such dicts
    or engine ``Firing`` objects (matched values may be facts or fact ids; ``_fact`` takes both)."""
    if not hasattr(plan, "_bdd_trace"):
        plan._bdd_trace = [entry if isinstance(entry, dict) else
                           {"n": entry.n, "rule": entry.rule, "matched": dict(entry.matched),
                            "concluded": list(entry.concluded)}
                           for entry in plan.trace]
    return plan._bdd_trace


def _concluded(plan, kind):
    return [_fact(plan, c) for t in _trace(plan) for c in t["concluded"] if c.startswith(kind + "|")]


def _firings(plan, rule):
    return [t for t in _trace(plan) if t["rule"] == rule]


def _about(plan, firing, thing):
    """Did this firing match a fact about ``thing`` (a region, a period, or a gate's cause)?"""
    for ref in firing["matched"].values():
        fact = _fact(plan, ref)
        if thing in (fact.get("region"), fact.get("by"), fact.get("state"), fact.get("period")):
            return True
    return False


def _region(plan, region):
    rows = [r for r in plan.regions if r["id"] == region]
    assert rows, f"no region {region!r} in the plan"
    return rows[0]


def _entry(entries, activity):
    return next((e for e in entries if e["activity"] == activity), None)


def _known(case, activity):
    """A negative check ("X is not a step") passes for any id: first make sure X is an
    activity of the catalogue, so a misspelt id fails instead of passing silently."""
    activities = case.plan.knowledge.activities
    assert activity in activities, f"'{activity}' is not an activity of the catalogue (misspelt?)"


def _known_id(what, value, known):
    """The same for the other negative checks: a phase, function, service or setting that
    does not exist fails instead of being trivially absent."""
    assert value in known, f"'{value}' is not a {what} of the knowledge base (misspelt?): {sorted(known)}"


def _recommended(plan, activity):
    return _entry(plan.steps, activity) or _entry(plan.alternatives, activity)


def _must_recommend(plan, activity):
    entry = _recommended(plan, activity)
    assert entry, (f"{activity} is not a step or an alternative; steps: {[s['activity'] for s in plan.steps]}, "
                   f"alternatives: {[s['activity'] for s in plan.alternatives]}, "
                   f"deferred: {[d['activity'] for d in plan.deferred]}, "
                   f"excluded: {[(x['activity'], [f['r'] for f in x['fails']]) for x in plan.excluded]}")
    return entry


def _must_step(plan, activity):
    """A full step (alternatives carry no dose or 6 Rs detail)."""
    entry = _entry(plan.steps, activity)
    assert entry, (f"{activity} is not one of the steps: {[s['activity'] for s in plan.steps]} "
                   f"(alternatives: {[s['activity'] for s in plan.alternatives]})")
    return entry


def _all_listed(plan):
    return {e["activity"] for group in (plan.steps, plan.alternatives, plan.deferred, plan.excluded, plan.referrals)
            for e in group}


# -------------------------------------------------------------------- then: trace

@then(P('rule "{rule:q}" fires'))
def then_fires(case, rule):
    assert rule in _kb().rules, f"{rule} is not a rule of the knowledge base"
    assert _firings(case.plan, rule), (
        f"{rule} did not fire; fired: {sorted({t['rule'] for t in _trace(case.plan)})}")


@then(P('rule "{rule:q}" does not fire'))
def then_not_fires(case, rule):
    assert rule in _kb().rules, f"{rule} is not a rule of the knowledge base"
    firings = _firings(case.plan, rule)
    assert not firings, f"{rule} fired {len(firings)} time(s), first matching {firings[0]['matched']}"


@then(P('rule "{rule:q}" fires for the {thing}'))
def then_fires_for(case, rule, thing):
    thing = _ident(thing)
    firings = _firings(case.plan, rule)
    assert any(_about(case.plan, f, thing) for f in firings), (
        f"{rule} did not fire for {thing}; it fired {len(firings)} time(s)")


@then(P('rule "{rule:q}" does not fire for the {thing}'))
def then_not_fires_for(case, rule, thing):
    assert rule in _kb().rules, f"{rule} is not a rule of the knowledge base"
    thing = _ident(thing)
    kb = _kb()
    _known_id("region, period or gate cause", thing, {*kb.regions, *kb.periods, *(
        f.get(k) for f in (getattr(case.plan, "facts", None) or {}).values() for k in ("by", "state") if f.get(k))})
    assert not any(_about(case.plan, f, thing) for f in _firings(case.plan, rule)), f"{rule} fired for {thing}"


# ------------------------------------------------------------------ then: regions

@then(P('the {region} band is "{band:q}"'))
def then_band(case, region, band):
    assert _region(case.plan, region)["band"] == _ident(band)


@then(P('the {region} band is set by rule "{rule:q}"'))
def then_band_rule(case, region, rule):
    assert rule in _region(case.plan, region)["rules"]


@then(P("the {region} mean is {mean:g}"))
def then_mean(case, region, mean):
    assert _region(case.plan, region)["mean"] == pytest.approx(mean)


@then(P("the {region} developmental age is about {years:g} years"))
def then_dev_age(case, region, years):
    assert _region(case.plan, region)["developmental_age_years"] == pytest.approx(years)


@then(P('"{function:q}" is in the "{band:q}" band by rule "{rule:q}"'))
def then_function_band(case, function, band, rule):
    found = [f for r in case.plan.regions for f in r["functions"] if f["id"] == function]
    assert found, f"{function} is not in the plan's regions"
    assert (found[0]["band"], found[0]["rules"]) == (band, [rule] if rule else []), found[0]


@then(P('the plan uses the strength "{text:q}"'))
def then_delivery(case, text):
    found = [d for d in case.plan.delivery if text in d["because"]]
    assert found, [d["because"] for d in case.plan.delivery]
    assert found[0]["rules"] == ["STR-002"]


@then("the plan names no strength to deliver through")
def then_no_delivery(case):
    assert case.plan.delivery == []


@then(P("the {region} has no developmental age"))
def then_no_dev_age(case, region):
    assert _region(case.plan, region)["developmental_age_years"] is None


@then(P("the plan starts at the {region}"))
def then_start(case, region):
    start = case.plan.start
    assert start is not None, "the plan has no starting region"
    assert start["region"] == _ident(region), f"the plan starts at the {start['region']}"


@then(P('the plan starts with regulation because the child is in "{state:q}"'))
def then_start_state(case, state):
    start = case.plan.start
    assert start is not None and start.get("state") == state, f"the plan starts with {start}"
    assert "starts with regulating" in start["because"]


@then("the plan has no starting region")
def then_no_start(case):
    assert case.plan.start is None, f"the plan starts at the {case.plan.start['region']}"


# -------------------------------------------------------------------- then: steps

@then(P('the first step is in the "{phase:q}" phase'))
def then_first_phase(case, phase):
    assert case.plan.steps, "the plan has no steps"
    first = case.plan.steps[0]
    assert first["phase"] == phase, f"the first step, {first['activity']}, is in the {first['phase']} phase"


@then(P('the steps follow the phases "{phases:q}"'))
def then_phase_sequence(case, phases):
    seen = []
    for step in case.plan.steps:
        if not seen or seen[-1] != step["phase"]:
            seen.append(step["phase"])
    assert seen == _words(phases)


@then(P('every step is in the "{phase:q}" phase'))
def then_all_phase(case, phase):
    assert case.plan.steps, "the plan has no steps"
    others = [(s["activity"], s["phase"]) for s in case.plan.steps + case.plan.alternatives if s["phase"] != phase]
    assert not others, others


@then(P('no step is in the "{phase:q}" phase'))
def then_no_phase(case, phase):
    _known_id("phase", phase, _kb().phases)
    found = [s["activity"] for s in case.plan.steps + case.plan.alternatives if s["phase"] == phase]
    assert not found, f"{phase}-phase steps or alternatives: {found}"


@then(P('"{activity:q}" is the first step'))
def then_first_step(case, activity):
    assert case.plan.steps and case.plan.steps[0]["activity"] == activity, (
        f"steps: {[s['activity'] for s in case.plan.steps]}")
    assert case.plan.steps[0]["id"] == "S1"


@then(P('"{activity:q}" is a step'))
def then_is_step(case, activity):
    assert _entry(case.plan.steps, activity), (
        f"{activity} is not a step; steps: {[s['activity'] for s in case.plan.steps]}")


@then(P('"{activity:q}" is a step in the "{phase:q}" phase'))
def then_is_step_in(case, activity, phase):
    entry = _must_recommend(case.plan, activity)
    assert entry["phase"] == phase, f"{activity} is in the {entry['phase']} phase"


@then(P('"{activity:q}" is an alternative'))
def then_is_alternative(case, activity):
    assert _entry(case.plan.alternatives, activity), (
        f"{activity} is not an alternative; alternatives: {[s['activity'] for s in case.plan.alternatives]}")


@then(P('"{activity:q}" is recommended'))
def then_recommended(case, activity):
    _must_recommend(case.plan, activity)


@then(P('"{activity:q}" is not a step'))
def then_not_step(case, activity):
    """Neither a step nor an alternative: SEL-001 did not select it."""
    _known(case, activity)
    assert not _recommended(case.plan, activity), f"{activity} is a step or an alternative"


@then(P('"{activity:q}" is not considered'))
def then_not_considered(case, activity):
    """No rule proposed it: it is nowhere in the plan (step, alternative, deferral, exclusion)."""
    _known(case, activity)
    assert activity not in _all_listed(case.plan), f"{activity} appears in the plan"
    assert activity not in {c["activity"] for c in _concluded(case.plan, "candidate")}


@then("there are no steps")
def then_no_steps(case):
    assert not case.plan.steps and not case.plan.alternatives, (
        f"steps: {[s['activity'] for s in case.plan.steps + case.plan.alternatives]}")


@then(P('the "{phase:q}" phase lists {n:d} steps'))
def then_phase_count(case, phase, n):
    assert len([s for s in case.plan.steps if s["phase"] == phase]) == n


@then(P('"{activity:q}" cites rule "{rule:q}"'))
def then_cites(case, activity, rule):
    entry = _must_recommend(case.plan, activity)
    assert rule in entry["rules"], f"{activity} cites {entry['rules']}"


@then(P('"{activity:q}" targets the {region}'))
def then_targets(case, activity, region):
    entry = _must_recommend(case.plan, activity)
    assert _ident(region) in entry["targets"], f"{activity} targets {entry['targets']}"


@then(P('"{activity:q}" meets "{r:q}" because "{text:q}"'))
def then_meets_because(case, activity, r, text):
    entry = _must_step(case.plan, activity)
    assert text in entry["six_rs"][r], f"{activity} {r}: {entry['six_rs'][r]!r}"


@then(P('"{activity:q}" is done "{frequency:q}" for "{minutes:q}" minutes'))
def then_dose(case, activity, frequency, minutes):
    dose = _must_step(case.plan, activity)["dose"]
    assert dose["frequency"].startswith(frequency) and dose["minutes"] == minutes, dose


@then(P('"{activity:q}" is delivered by "{roles:q}"'))
def then_who(case, activity, roles):
    dose = _must_step(case.plan, activity)["dose"]
    assert dose["who"] == _words(roles), dose["who"]


@then(P('"{activity:q}" happens at "{places:q}"'))
def then_where(case, activity, places):
    dose = _must_step(case.plan, activity)["dose"]
    assert dose["where"] == _words(places), dose["where"]


@then(P('the dose of "{activity:q}" says "{text:q}"'))
def then_dose_because(case, activity, text):
    dose = _must_step(case.plan, activity)["dose"]
    assert text in dose["because"], dose["because"]


# ----------------------------------------------------------- then: deferred, fails

@then(P('"{activity:q}" is deferred by rule "{rule:q}" until "{until:q}"'))
def then_deferred_until(case, activity, rule, until):
    entry = _entry(case.plan.deferred, activity)
    assert entry, f"{activity} is not deferred; deferred: {[d['activity'] for d in case.plan.deferred]}"
    assert rule in entry["rules"], f"{activity} is deferred by {entry['rules']}"
    assert until in entry["until"], f"{activity} is deferred until {entry['until']!r}"


@then(P('"{activity:q}" is deferred by rule "{rule:q}"'))
def then_deferred_by(case, activity, rule):
    entry = _entry(case.plan.deferred, activity)
    assert entry, f"{activity} is not deferred; deferred: {[d['activity'] for d in case.plan.deferred]}"
    assert rule in entry["rules"], f"{activity} is deferred by {entry['rules']}"


@then(P('"{activity:q}" is not deferred'))
def then_not_deferred(case, activity):
    _known(case, activity)
    assert not _entry(case.plan.deferred, activity), f"{activity} is deferred"


@then("nothing is deferred")
def then_nothing_deferred(case):
    assert not case.plan.deferred, f"deferred: {[d['activity'] for d in case.plan.deferred]}"


def _fail(plan, activity, r):
    entry = _entry(plan.excluded, activity)
    assert entry, (f"{activity} is not excluded; excluded: {[x['activity'] for x in plan.excluded]}, "
                   f"steps: {[s['activity'] for s in plan.steps + plan.alternatives]}")
    fail = next((f for f in entry["fails"] if f["r"] == r), None)
    assert fail, f"{activity} fails {[f['r'] for f in entry['fails']]}, not {r}"
    return fail


@then(P('"{activity:q}" fails "{r:q}"'))
def then_fails(case, activity, r):
    _fail(case.plan, activity, r)


@then(P('"{activity:q}" fails "{r:q}" by rule "{rule:q}"'))
def then_fails_by(case, activity, r, rule):
    fail = _fail(case.plan, activity, r)
    assert fail["rule"] == rule, f"{activity} fails {r} by {fail['rule']}"


@then(P('"{activity:q}" fails "{r:q}" because "{text:q}"'))
def then_fails_because(case, activity, r, text):
    fail = _fail(case.plan, activity, r)
    assert text in fail["because"], fail["because"]


@then(P('"{activity:q}" needs a referral to "{role:q}" by rule "{rule:q}"'))
def then_referral(case, activity, role, rule):
    entry = _entry(case.plan.referrals, activity)
    assert entry, f"{activity} is not a referral; referrals: {[r['activity'] for r in case.plan.referrals]}"
    assert role in entry["roles"] and rule in entry["rules"], entry


@then(P('"{activity:q}" is not recommended, with no referral suggested'))
def then_excluded_without_referral(case, activity):
    _known(case, activity)
    entry = _entry(case.plan.excluded, activity)
    assert entry, f"{activity} is not excluded"
    assert all(f["r"] != "referral" for f in entry["fails"]), entry["fails"]
    assert not _entry(case.plan.referrals, activity), f"{activity} is a referral"


@then(P('"{activity:q}" is not a referral'))
def then_not_referral(case, activity):
    _known(case, activity)
    assert not _entry(case.plan.referrals, activity), f"{activity} is a referral"


@then(P('"{activity:q}" is to try'))
def then_to_try(case, activity):
    step = _must_step(case.plan, activity)
    assert "rewarding" in step["provisional"], step["six_rs"]["rewarding"]


@then(P('"{activity:q}" is not to try'))
def then_not_to_try(case, activity):
    _known(case, activity)
    step = _must_step(case.plan, activity)
    assert "rewarding" not in step["provisional"], step["six_rs"]["rewarding"]


@then(P('the plan starts with "{phase:q}" work on the {region}'))
def then_start_phase_region(case, phase, region):
    start = case.plan.start
    assert start and start["phase"] == phase and start["region"] == _ident(region), start
    assert not start["blocked"], "the first step is not where the plan starts"
    assert case.plan.steps[0]["phase"] == phase and _ident(region) in case.plan.steps[0]["targets"]


@then("the plan says nothing qualifies where it starts")
def then_start_blocked(case):
    assert case.plan.start and case.plan.start["blocked"], case.plan.start


@then(P("the steps take at most {minutes:d} minutes a day"))
def then_day_within(case, minutes):
    assert case.plan.daily_time["minutes"][1] <= minutes, case.plan.daily_time
    assert case.plan.daily_time["minutes"][1] <= case.plan.daily_time["limit"], case.plan.daily_time


@then(P('the plan delivers the steps through the relationship with the {region}'))
def then_relational_delivery(case, region):
    entries = [d for d in case.plan.delivery if d["via"] == "relationship"]
    assert entries, case.plan.delivery
    assert _kb().label(_ident(region)) in entries[0]["because"], entries[0]["because"]


@then(P('"{activity:q}" is not excluded'))
def then_not_excluded(case, activity):
    _known(case, activity)
    entry = _entry(case.plan.excluded, activity)
    assert not entry, f"{activity} is excluded: {entry['fails']}"


@then("every candidate activity is accounted for in the plan")
def then_all_accounted(case):
    """A proposed activity is a step, an alternative, deferred or excluded: never silently dropped."""
    proposed = {c["activity"] for c in _concluded(case.plan, "candidate")}
    missing = sorted(proposed - _all_listed(case.plan))
    assert not missing, f"proposed but nowhere in the plan: {missing}"


@then("every candidate has a verdict on all six Rs")
def then_all_verdicts(case):
    """Each R of each (activity, region) candidate ends met or failed (the verdict layer's
    contract); Relational may instead end in a referral to a professional the team lacks."""
    verdicts = {(f["activity"], f["region"], f["r"]) for kind in ("meets", "fails")
                for f in _concluded(case.plan, kind)}
    by_activity = {(f["activity"], f["r"]) for kind in ("activity_meets", "activity_fails")
                   for f in _concluded(case.plan, kind)}
    by_phase = {(f["phase"], f["r"]) for f in _concluded(case.plan, "phase_meets")}
    verdicts |= {(c["activity"], c["region"], r) for c in _concluded(case.plan, "candidate") for r in SIX_RS
                 if (c["activity"], r) in by_activity or (c["phase"], r) in by_phase}
    verdicts |= {(f["activity"], f["region"], "relational") for f in _concluded(case.plan, "referral")}
    open_ = sorted((c["activity"], c["region"], r) for c in _concluded(case.plan, "candidate")
                   for r in SIX_RS if (c["activity"], c["region"], r) not in verdicts)
    assert not open_, f"candidates with an R neither met nor failed: {open_}"


# ------------------------------------------------- then: review, risks, strengths

@then(P("the review is in {weeks:d} weeks"))
def then_review(case, weeks):
    assert case.plan.review is not None, "the plan has no review"
    assert case.plan.review["weeks"] == weeks, f"the review is in {case.plan.review['weeks']} weeks"


@then(P('the review is set by rule "{rule:q}"'))
def then_review_rule(case, rule):
    assert rule in case.plan.review["rules"], case.plan.review["rules"]


@then(P('the review says "{text:q}"'))
def then_review_text(case, text):
    assert text in case.plan.review["because"], case.plan.review["because"]


@then(P("the regulate phase is expected to last at least {weeks:d} weeks"))
def then_regulate_weeks(case, weeks):
    duration = case.plan.regulate_duration
    assert duration is not None, "the plan gives no regulate-phase length"
    assert duration["weeks"] == weeks, f"{duration['weeks']} weeks ({duration['rules']})"


@then("the plan gives no regulate phase length")
def then_no_regulate_weeks(case):
    duration = case.plan.regulate_duration
    assert duration is None, f"regulate phase of {duration['weeks']} weeks, by {duration['rules']}: {duration['because']}"


@then(P('the plan cautions about "{caution:q}"'))
def then_caution(case, caution):
    assert caution in [c["caution"] for c in case.plan.cautions], case.plan.cautions


@then(P('the caution says "{text:q}"'))
def then_caution_text(case, text):
    assert any(text in c["because"] for c in case.plan.cautions), case.plan.cautions


@then("the plan has no cautions")
def then_no_caution(case):
    assert not case.plan.cautions, case.plan.cautions


@then(parsers.re(r"(?P<period>perinatal|infancy|early childhood|childhood|adolescence) "
                 r"(?P<domain>adversity|relational poverty) is listed as an early risk"))
def then_risk(case, period, domain):
    risks = [(r["period"], r["domain"]) for r in case.plan.risks]
    assert (_ident(period), _ident(domain)) in risks, risks


@then("no early risk is listed")
def then_no_risk(case):
    assert not case.plan.risks, case.plan.risks


@then(P('"{function:q}" is listed as a strength'))
def then_strength(case, function):
    assert function in [s["function"] for s in case.plan.strengths]


@then(P('"{function:q}" is not listed as a strength'))
def then_not_strength(case, function):
    _known_id("function", function, _kb().functions)
    assert function not in [s["function"] for s in case.plan.strengths]


@then("the plan notes nothing unmatched")
def then_nothing_unmatched(case):
    assert not case.plan.notes, case.plan.notes


@then(P('the plan notes "{word:q}" as unmatched in the child\'s {field}'))
def then_unmatched(case, word, field):
    notes = {n["field"]: n["unmatched"] for n in case.plan.notes}
    assert word in notes.get(f"context.{field}", []), notes


# ------------------------------------------------------------ explanations and audit

@pytest.fixture
def asked():
    return {}


@given(P('the bundled example "{name:q}"'), target_fixture="example")
def given_example(name):
    return name


@when(P('I ask why "{target:q}"'))
def when_why(asked, example, target):
    from planner.api import explain_how

    asked["answer"] = explain_how(example, target)


@when(P('I ask why not "{activity:q}"'))
def when_why_not(asked, example, activity):
    from planner.api import explain_why_not
    from planner.errors import SeqplanError

    try:
        asked["answer"] = explain_why_not(example, activity)
    except SeqplanError as exc:
        asked["refused"] = str(exc)


@when(P('I ask for the trace as "{fmt:q}"'))
def when_trace(asked, example, fmt):
    from planner.api import trace_text

    asked["answer"] = trace_text(example, fmt)


@then(P('the answer names rule "{a:q}"'))
@then(P('the answer names rule "{a:q}" and rule "{b:q}"'))
@then(P('the answer names rule "{a:q}" and rule "{b:q}" and rule "{c:q}"'))
@then(P('the answer names rule "{a:q}" and rule "{b:q}" and rule "{c:q}" and rule "{d:q}"'))
def then_names_rules(asked, a, b=None, c=None, d=None):
    for rule in filter(None, (a, b, c, d)):
        assert rule in asked["answer"], rule


@then(P('the answer reaches the rating "{text:q}"'))
@then(P('the answer says "{text:q}"'))
def then_answer_says(asked, text):
    assert text in asked["answer"], asked["answer"][:2000]


@then(P('the request is refused with "{text:q}"'))
def then_refused(asked, text):
    assert text in asked.get("refused", ""), asked


@then("for every bundled example, why each step reaches a rating")
def then_every_step_reaches_ratings():
    from planner.api import explain_how, plan_for
    from planner.intake.examples import example_paths

    for name in example_paths():
        for step in plan_for(name).steps:
            answer = explain_how(name, step["id"])
            # down to the function ratings, or to relational health, a rating of its own (brief section 27)
            reaches = ("      from " in answer and " = " in answer) or "input relational_health score=" in answer
            assert reaches, f"{name} {step['id']} stops before the ratings"


@then("every line is one firing, numbered from 1 without gaps, with its rule and the facts it matched")
def then_trace_lines(asked):
    import json

    entries = [json.loads(line) for line in asked["answer"].splitlines()]
    assert [e["n"] for e in entries] == list(range(1, len(entries) + 1))
    assert all(e["rule"] and e["matched"] and all("kind" in f for f in e["matched"].values()) for e in entries)


@given(P('the bundled example "{name:q}" planned and stored as JSON'), target_fixture="stored")
def given_stored(tmp_path, name):
    from planner.api import assessment_path, plan_file

    path = tmp_path / "plan.json"
    path.write_text(plan_file(name, fmt="json"), encoding="utf-8")
    return {"plan": path, "assessment": assessment_path(name)}


@given(P('a copy of the knowledge base with "{parameter:q}" set to {value:d}'), target_fixture="kb_copy")
def given_kb_copy(tmp_path, parameter, value):
    import shutil

    import yaml

    from planner.resources import data_dir

    target = tmp_path / "kb-copy"
    shutil.copytree(data_dir("knowledge_base"), target)
    path = target / "parameters.yaml"
    data = yaml.safe_load(path.read_text())
    next(p for p in data["parameters"] if p["id"] == parameter)["value"] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def _audit(asked, stored, assessment, kb_dir=None):
    from planner.api import audit_plan

    asked["reproduced"], lines = audit_plan(stored["plan"], assessment, kb_dir)
    asked["answer"] = "\n".join(lines)


@when("I audit the stored plan against the same assessment")
def when_audit_same(asked, stored):
    _audit(asked, stored, stored["assessment"])


@when(P('I audit the stored plan against the assessment with "{function:q}" rated {score:d}'))
def when_audit_edited(asked, stored, tmp_path, function, score):
    import yaml

    data = yaml.safe_load(stored["assessment"].read_text())
    data["functioning"][function] = score
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data, sort_keys=False))
    _audit(asked, stored, edited)


@when("I audit the stored plan with that knowledge base")
def when_audit_kb(asked, stored, kb_copy):
    _audit(asked, stored, stored["assessment"], kb_copy)


@then(P('the audit says "{text:q}"'))
def then_audit_says(asked, text):
    assert text in asked["answer"], asked["answer"]


@then(P('the audit fails and says "{text:q}"'))
def then_audit_fails(asked, text):
    assert asked["reproduced"] is False
    assert text in asked["answer"], asked["answer"]


@when(P('I compare the bundled example "{name:q}" between the bundled and the copied knowledge base'))
def when_diff(asked, kb_copy, name):
    from planner.api import diff_knowledge_bases
    from planner.resources import data_dir

    asked["answer"] = "\n".join(diff_knowledge_bases(name, data_dir("knowledge_base"), kb_copy))


@then(P('the comparison says "{text:q}"'))
def then_diff_says(asked, text):
    assert text in asked["answer"], asked["answer"]


# ------------------------------------------- issue 9: dissociation, state, relationships

@given(P('the child\'s typical dissociative state is "{state:q}"'))
def given_dissociative_state(case, state):
    case.current["dissociative_state"] = state


@then(P('the plan has the goal "{goal:q}"'))
def then_goal(case, goal):
    assert goal in [g["goal"] for g in case.plan.goals], case.plan.goals


@then("the plan has no goal beside the steps")
def then_no_goal(case):
    assert not case.plan.goals, case.plan.goals


@then(P('"In the moment" says "{text:q}"'))
def then_moment(case, text):
    assert any(text in m["because"] for m in case.plan.in_the_moment), [m["because"] for m in case.plan.in_the_moment]


@then(P('"In the moment" does not say "{text:q}"'))
def then_moment_not(case, text):
    assert not any(text in m["because"] for m in case.plan.in_the_moment)


@then("relational health is named as a strength")
def then_relational_strength(case):
    assert case.plan.relational_strength, "no relational strength"
# ------------------------------------------- then: category and where it happens

@then(P('"{activity:q}" is a "{category:q}" step'))
def then_step_category(case, activity, category):
    assert _must_step(case.plan, activity)["category"] == category


@then(P('every step is a "{category:q}" step'))
def then_every_step_category(case, category):
    assert case.plan.steps, "the plan has no steps"
    assert all(s["category"] == category for s in case.plan.steps), [(s["activity"], s["category"])
                                                                       for s in case.plan.steps]


def _where_lines(plan):
    """The lines of the therapist plan's "Where it happens" section."""
    from planner.outputs.render import render_plan

    text = render_plan(plan)
    assert "## Where it happens" in text, "the plan has no 'Where it happens' section"
    section = text.split("## Where it happens", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("- ")]


@then(P('"Where it happens" lists "{step:q}" under "{label:q}" with the "{role:q}"'))
def then_where_lists(case, step, label, role):
    lines = [line for line in _where_lines(case.plan) if line.startswith(f"- **{label}**")]
    assert lines, _where_lines(case.plan)
    who, _, steps = lines[0].partition(": ")
    assert role in who, lines[0]
    assert step in [s.split(" ")[0] for s in steps.rstrip(".").split(", ")], lines[0]


@then(P('"Where it happens" lists nothing under "{label:q}"'))
def then_where_nothing(case, label):
    assert not [line for line in _where_lines(case.plan) if line.startswith(f"- **{label}**")], \
        _where_lines(case.plan)


@then("the plan says to review the relational setting")
def then_review_setting(case):
    assert any("review the child's relational setting" in g["because"] for g in case.plan.goals), case.plan.goals


# ------------------------------------------------------- then: brief v3 (sections 19-27)

def _to_consider(case):
    """{service: status} of the services the plan says to consider (or already made)."""
    return {r["service"]: r["status"] for r in case.plan.referrals_to_consider}


@then(P('the plan suggests considering "{service:q}"'))
def then_consider(case, service):
    assert _to_consider(case).get(service) == "consider", _to_consider(case)


@then(P('the plan does not suggest "{service:q}"'))
def then_not_consider(case, service):
    _known_id("service", service, _kb().parameter_values["referral_services"])
    assert _to_consider(case).get(service) != "consider", _to_consider(case)


@then(P('the plan says the "{service:q}" referral is already made'))
def then_referral_made(case, service):
    assert _to_consider(case).get(service) == "made", _to_consider(case)


@then(P('the history reports the {period} period'))
def then_history(case, period):
    assert _ident(period) in [h["period"] for h in case.plan.history], case.plan.history


@then("the plan steps down")
def then_steps_down(case):
    assert case.plan.step_down, case.plan.step_down


@then("the plan does not step down")
def then_no_step_down(case):
    assert not case.plan.step_down, case.plan.step_down


@then(P('"{activity:q}" is offered in its age-respectful form'))
def then_form(case, activity):
    step = next(s for s in case.plan.steps if s["activity"] == activity)
    assert step["form"], step


@then(P('no step happens at "{place:q}"'))
def then_nowhere(case, place):
    _known_id("setting", place, {s for ids in _kb().setting_words.words.values() for s in ids})
    assert not [s["activity"] for s in case.plan.steps if place in s["dose"]["where"]]


@then(P('the {reader} handout is withheld'))
def then_handout_withheld(case, reader):
    from planner.errors import Withheld
    from planner.outputs.handout import handout

    with pytest.raises(Withheld):
        handout(case.plan, reader)


@then(P('the plan shows the young person\'s goal "{words:q}"'))
def then_own_goal(case, words):
    assert case.plan.own_goal and case.plan.own_goal["words"] == words, case.plan.own_goal


@then(P('"{function:q}" is kept on the map, marked "{kind:q}"'))
def then_qualified(case, function, kind):
    row = next(f for r in case.plan.regions for f in r["functions"] if f["id"] == function)
    assert row.get("qualified") == kind and row["score"] is not None, row


@then(P('the plan names "{function:q}" as fallen since the previous assessment'))
def then_fell(case, function):
    assert function in [f.get("function") for f in case.plan.since_previous], case.plan.since_previous


@then(P('the plan has an objective on "{about:q}"'))
def then_objective(case, about):
    assert about in [o["about"] for o in case.plan.objectives], case.plan.objectives


@then(P('the objective on "{about:q}" aims from {baseline:d} to {target:d}'))
def then_objective_target(case, about, baseline, target):
    objective = next(o for o in case.plan.objectives if o["about"] == about)
    assert (objective["baseline"], objective["target"]) == (baseline, target), objective


@then(P('the lead is the "{role:q}"'))
def then_lead(case, role):
    assert case.plan.lead["role"] == role, case.plan.lead


@then("the lead is to name")
def then_no_lead(case):
    assert case.plan.lead["role"] is None, case.plan.lead
