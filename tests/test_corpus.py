"""The clinical corpus (tests/corpus/README.md): every case is planned and every expectation a
reviewer wrote before the plan was seen is checked. A failure is a clinical defect."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from planner.api import plan_for
from planner.errors import Withheld
from planner.outputs.render import render_handout, render_plan

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p for p in CORPUS.glob("*.yaml") if not p.name.endswith(".expect.yaml"))


def _steps(plan):
    return plan.steps


def _names(items):
    return {i["activity"] for i in items}


def _mentioned(plan):
    return _names(plan.steps) | _names(plan.deferred) | _names(plan.alternatives) | _names(plan.referrals)


def _handout(plan, reader):
    try:
        return render_handout(plan, reader, "md")
    except Withheld:
        return None


def _lower(values):
    return [str(v).lower() for v in values]


def check(plan, name, value):
    """(passed, what was found) for one expectation."""
    cautions = {c["caution"] for c in plan.cautions}
    weeks = plan.review["weeks"] if plan.review else None
    consider = {r["service"] for r in plan.referrals_to_consider if r["status"] == "consider"}
    if name in ("cautions_include", "flags_include"):
        return set(value) <= cautions, sorted(cautions)
    if name in ("cautions_exclude", "flags_exclude"):
        return not set(value) & cautions, sorted(cautions)
    if name == "review_weeks_max":
        return weeks is not None and weeks <= value, weeks
    if name == "review_weeks_min":
        return weeks is not None and weeks >= value, weeks
    if name == "steps_max":
        return len(plan.steps) <= value, len(plan.steps)
    if name == "steps_min":
        return len(plan.steps) >= value, len(plan.steps)
    if name == "step_activities_exclude":
        return not set(value) & _names(plan.steps), sorted(_names(plan.steps))
    if name == "step_activities_include_any":
        return bool(set(value) & _names(plan.steps)), sorted(_names(plan.steps))
    if name == "mentions_exclude":
        return not set(value) & _mentioned(plan), sorted(set(value) & _mentioned(plan))
    if name == "deferred_activities_exclude":
        return not set(value) & _names(plan.deferred), sorted(set(value) & _names(plan.deferred))
    if name == "step_where_include":
        where = {w for s in plan.steps for w in s["dose"]["where"]}
        return set(value) <= where, sorted(where)
    if name == "relational_strength":
        return bool(plan.relational_strength) == value, bool(plan.relational_strength)
    if name == "deferred_phases_exclude":
        phases = {d["phase"] for d in plan.deferred}
        return not set(value) & phases, sorted(phases)
    if name == "step_phases_include":
        phases = {s["phase"] for s in plan.steps}
        return set(value) <= phases, sorted(phases)
    if name == "step_where_exclude":
        where = {w for s in plan.steps for w in s["dose"]["where"]}
        return not set(value) & where, sorted(where)
    if name == "step_by_exclude":
        who = {w for s in plan.steps for w in s["dose"]["who"]}
        return not set(value) & who, sorted(who)
    if name == "referrals_include":
        return set(value) <= consider, sorted(consider)
    if name == "referrals_exclude":
        return not set(value) & consider, sorted(consider)
    if name == "activity_referrals_exclude":
        return not set(value) & _names(plan.referrals), sorted(_names(plan.referrals))
    if name == "region_band":
        bands = {r["id"]: r["band"] for r in plan.regions}
        return all(bands[k] == v for k, v in value.items()), bands
    if name == "dev_age_absent":
        ages = {r["id"]: r["developmental_age_years"] for r in plan.regions}
        return all(ages[k] is None for k in value), ages
    if name == "history_reported":
        periods = {h["period"] for h in plan.history}
        return set(value) <= periods, sorted(periods)
    if name == "daily_minutes_max":
        high = plan.daily_time["minutes"][1] if plan.daily_time else 0
        return high <= value, high
    if name in ("plan_text_includes", "plan_text_excludes"):
        text = render_plan(plan, "md").lower()
        found = [v for v in _lower(value) if v in text]
        return (len(found) == len(value)) if name.endswith("includes") else not found, found
    if name in ("handout_text_includes", "handout_text_excludes"):
        results = []
        for reader, phrases in value.items():
            text = (_handout(plan, reader) or "").lower()
            found = [v for v in _lower(phrases) if v in text]
            results.append((len(found) == len(phrases)) if name.endswith("includes") else not found)
        return all(results), value
    if name == "handout_refused":
        refused = [r for r in value if _handout(plan, r) is None]
        return refused == list(value), refused
    raise AssertionError(f"unknown check '{name}' (see tests/corpus/README.md)")


def test_the_corpus_holds_enough_cases_each_with_expectations():
    assert len(CASES) >= 24
    for case in CASES:
        assert case.with_suffix(".expect.yaml").is_file(), case.name


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_case_meets_its_reviewers_expectations(case):
    expect = yaml.safe_load(case.with_suffix(".expect.yaml").read_text("utf-8"))
    plan = plan_for(case)
    failed = []
    for item in expect["checks"]:
        passed, found = check(plan, item["check"], item["value"])
        if not passed:
            failed.append(f"{item['check']} {item['value']!r}: found {found!r} ({item.get('why', '')})")
    assert not failed, f"{case.name} ({expect.get('situation', '')}):\n  " + "\n  ".join(failed)
