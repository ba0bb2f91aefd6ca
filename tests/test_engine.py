"""The rule engine behind every plan: each conclusion stored once, every firing traced,
failures surfaced as errors (never a half-made plan), broken knowledge bases refused."""
from __future__ import annotations

import random
import shutil

import pytest
import yaml

from tests.conftest import KB_DIR, REGION_FUNCTIONS, make_assessment, run_cli


def _plan(data, kb):
    from planner.intake.assessment import from_data
    from planner.plans.planning import make_plan

    return make_plan(from_data(data, source="child.yaml", kb=kb), kb)


def _matched(out, value):
    """A trace entry names a matched fact by id (or embeds it): return the fact."""
    return out["facts"][value] if isinstance(value, str) else value


def _positive_patterns(rule):
    return {name: p["fact"] for name, p in rule["when"].items() if not p.get("not")}


TWO_DELIVERERS = make_assessment(
    brainstem=4, diencephalon=5, limbic=7, cortex=8, age=8,
    context={"interests": ["music", "movement"], "team": ["caregiver", "teacher"], "settings": ["home", "school"]},
)


def test_a_conclusion_reached_twice_is_stored_once(kb):
    """Every regulate-stage activity proposed for the brainstem also concludes that the
    regulate phase has candidates: many firings, one `phase_proposed` fact, concluded by
    the first of them."""
    plan = _plan(TWO_DELIVERERS, kb)
    out = plan.to_dict()
    proposals = [e for e in out["trace"] if e["rule"] == "PROP-001"
                 and _matched(out, e["matched"]["need"])["phase"] == "regulate"]
    assert len(proposals) > 1, "expected one firing per regulate-stage activity"
    phase = [f for f in out["facts"].values() if f["kind"] == "phase_proposed" and f["phase"] == "regulate"]
    assert len(phase) == 1
    concluding = [e for e in proposals if phase[0]["id"] in e["concluded"]]
    assert concluding == proposals[:1], "the first firing concludes the fact; the others add nothing"
    # No fact is concluded by more than one firing anywhere in the trace.
    seen = {}
    for entry in out["trace"]:
        for fid in entry["concluded"]:
            assert fid not in seen, f"{fid} concluded by firings {seen[fid]} and {entry['n']}"
            seen[fid] = entry["n"]
    step = next(s for s in plan.steps + plan.alternatives if s["activity"] == "drumming")
    assert set(step["dose"]["who"]) == {"caregiver", "teacher"}


def test_the_same_need_from_two_rules_is_one_fact(kb):
    """A severe brainstem in a child in alarm needs regulating for two reasons (SEQ-002 and
    STATE-002): one `need` fact, and the plan proposes each activity once."""
    plan = _plan(make_assessment(brainstem=3, current={"arousal": "alarm"}), kb)
    out = plan.to_dict()
    needs = [f for f in out["facts"].values()
             if f["kind"] == "need" and f.get("region") == "brainstem" and f.get("phase") == "regulate"]
    assert len(needs) == 1
    rules = {e["rule"] for e in out["trace"]
             if any(_matched(out, v).get("region") == "brainstem" for v in e["matched"].values())}
    assert {"SEQ-002", "STATE-002"} <= rules
    activities = [s["activity"] for s in plan.steps + plan.alternatives]
    assert len(activities) == len(set(activities))


def test_the_trace_lists_every_firing(kb):
    """Numbered in order; each names an active rule, the facts its patterns matched, and its
    conclusions; layers run in order; every derived fact has exactly one producing firing."""
    plan = _plan(TWO_DELIVERERS, kb)
    out = plan.to_dict()
    trace = out["trace"]
    assert [e["n"] for e in trace] == list(range(1, len(trace) + 1))
    layer_of = {rid: kb.layers.index(rule["layer"]) for rid, rule in kb.rules.items()}
    last_layer = 0
    produced = set()
    for entry in trace:
        rule = kb.rules.get(entry["rule"])
        assert rule is not None, f"trace names unknown rule {entry['rule']}"
        assert rule["status"] == "active"
        assert layer_of[entry["rule"]] >= last_layer, f"firing {entry['n']} ({entry['rule']}) ran out of layer order"
        last_layer = layer_of[entry["rule"]]
        patterns = _positive_patterns(rule)
        assert set(entry["matched"]) == set(patterns), (
            f"firing {entry['n']} ({entry['rule']}) matched {sorted(entry['matched'])}, rule has {sorted(patterns)}")
        for name, value in entry["matched"].items():
            fact = _matched(out, value)
            assert fact["kind"] == patterns[name], f"firing {entry['n']}: {name} matched a {fact['kind']}"
        for fid in entry["concluded"]:
            assert fid in out["facts"], f"firing {entry['n']} concluded {fid}, which the plan does not list"
            produced.add(fid)
    concluded_kinds = {t["fact"] for r in kb.rules.values() for t in r["then"]}
    derived = {fid for fid, f in out["facts"].items() if f["kind"] in concluded_kinds - set(kb.input_facts)}
    assert derived <= produced, f"facts without a producing firing: {sorted(derived - produced)[:3]}"
    # Everything the plan recommends names rules that actually fired.
    fired = {e["rule"] for e in trace}
    for step in plan.steps:
        assert set(step["rules"]) <= fired


def test_the_trace_has_one_firing_per_match(kb):
    """Counted independently of the engine: STR-001 fires once per age-typical function,
    a BAND rule once per judged region, DATA-001 once per barely rated region."""
    data = make_assessment(brainstem=6, diencephalon=9, limbic=None, cortex=3, age=10)
    strong = ["cardiovascular", "sleep", "fine_motor", "planning"]
    for fid in strong:
        data["functioning"][fid] = 12
    data["functioning"]["attachment"] = 12          # limbic: 1 of 8 rated -> insufficient data
    out = _plan(data, kb).to_dict()
    count = lambda prefix: sum(1 for e in out["trace"] if e["rule"].startswith(prefix))  # noqa: E731
    assert count("STR-001") == len(strong) + 1
    assert count("BAND-") == 3
    assert count("DATA-001") == 1
    strengths = {s["function"] for s in out["strengths"]}
    assert strengths == set(strong) | {"attachment"}


def test_input_fact_order_does_not_change_the_conclusions(kb):
    """durable-rules does not stratify negation: the layered engine must conclude the same
    facts whatever order the input facts arrive in."""
    from planner.reasoning import engine
    from planner.intake.assessment import from_data
    from planner.reasoning.facts import build_facts

    rng = random.Random(5)
    cases = [TWO_DELIVERERS,
             make_assessment(brainstem=9, diencephalon=10, limbic=4, cortex=6, age=12,
                             context={"avoid": ["touch"], "interests": ["animals"]},
                             current={"arousal": "fear", "relational_health": 3}),
             # the brief v3 rules that negate earlier layers' conclusions (SAFE-004/010/011, AGE-002,
             # STEP-003, STR-002, REFER-100/101, DATA-001/002): safety, choice, qualifiers, a previous
             make_assessment(brainstem=6, diencephalon=7, limbic=4, cortex=8, age=13,
                             functioning={"speech_articulation": 3, "gross_motor": 2},
                             qualifiers={"gross_motor": {"kind": "organic"}},
                             history={"adolescence": {"adversity": 3, "relational_poverty": 3}},
                             context={"interests": ["puppets"], "unsafe_adults": ["stepfather"],
                                      "team": ["mum", "teacher", "speech and language therapist (referral made)"],
                                      "mobility": "wheelchair", "avoid": ["baby stuff"]},
                             current={"arousal": "alert", "relational_health": 3, "threat_ongoing": True},
                             previous={"assessed_on": "2025-11-02", "current": {"arousal": "alarm"},
                                       "functioning": {"sleep": 4, "attachment": 3, "planning": 5}})]
    for data in cases:
        facts = build_facts(from_data(data, kb=kb), kb)
        baseline = engine.evaluate(kb, facts)
        for _ in range(2):
            shuffled = list(facts)
            rng.shuffle(shuffled)
            again = engine.evaluate(kb, shuffled)
            assert set(again.producers) == set(baseline.producers)   # every derived fact
            assert sorted(f.rule for f in again.trace) == sorted(f.rule for f in baseline.trace)


# ---- failures -------------------------------------------------------------------------

def test_an_exception_in_a_rule_action_is_an_engine_error(kb, monkeypatch):
    from planner.reasoning import engine
    from planner.errors import EngineError

    real = engine.fact_id

    def failing(fact):
        if fact["kind"] == "dosed":
            raise RuntimeError("boom in the dose layer")
        return real(fact)

    monkeypatch.setattr(engine, "fact_id", failing)
    with pytest.raises(EngineError, match="boom in the dose layer"):
        _plan(TWO_DELIVERERS, kb)
    monkeypatch.setattr(engine, "fact_id", real)
    plan = _plan(TWO_DELIVERERS, kb)            # the engine is still usable afterwards
    assert plan.steps and all(s["dose"]["frequency"] for s in plan.steps)


def test_failed_plans_free_their_sessions(kb, monkeypatch):
    """More failures than durable-rules has sessions (1024): each failure must clean up."""
    from planner.reasoning import engine
    from planner.errors import EngineError

    real = engine.fact_id

    def failing(fact):
        raise RuntimeError("always fails")

    sparse = make_assessment(None, None, None, None, functioning={"sleep": 4})
    from planner.intake.assessment import from_data
    from planner.plans.planning import make_plan

    assessment = from_data(sparse, kb=kb)
    monkeypatch.setattr(engine, "fact_id", failing)
    for _ in range(1030):
        with pytest.raises(EngineError):
            make_plan(assessment, kb)
    monkeypatch.setattr(engine, "fact_id", real)
    assert make_plan(assessment, kb).review is not None


def _kb_copy(tmp_path):
    target = tmp_path / "kb"
    shutil.copytree(KB_DIR, target)
    return target


def _edit_rule(kb_dir, rule_id, change):
    for path in sorted((kb_dir / "rules").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for rule in data["rules"]:
            if rule["id"] == rule_id:
                change(rule)
                path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
                return
    raise AssertionError(f"no rule {rule_id} in the knowledge base")


def test_a_rule_concluding_from_a_missing_field_fails_loudly(tmp_path):
    """DOSE-001 edited to copy `$dose.nonexistent`: the plan must not be made (and must not
    crash with a bare KeyError); the failure names the problem."""
    from planner import load_knowledge_base
    from planner.errors import EngineError, KnowledgeBaseError

    kb_dir = _kb_copy(tmp_path)
    _edit_rule(kb_dir, "DOSE-001", lambda r: r["then"][0].update(dose="$dose.nonexistent"))
    with pytest.raises((EngineError, KnowledgeBaseError)) as caught:
        kb = load_knowledge_base(kb_dir)
        _plan(TWO_DELIVERERS, kb)
    assert "nonexistent" in str(caught.value) or "DOSE-001" in str(caught.value)


def test_a_rule_in_an_unknown_layer_is_refused(tmp_path):
    from planner import load_knowledge_base
    from planner.errors import KnowledgeBaseError

    kb_dir = _kb_copy(tmp_path)
    _edit_rule(kb_dir, "DOSE-001", lambda r: r.update(layer="dosage"))
    with pytest.raises(KnowledgeBaseError, match="dosage"):
        load_knowledge_base(kb_dir)
    proc = run_cli("plan", "--example", "middle-limbic", "--kb", kb_dir)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "DOSE-001" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_rule_joining_an_unknown_pattern_is_refused(tmp_path):
    from planner import load_knowledge_base
    from planner.errors import KnowledgeBaseError

    kb_dir = _kb_copy(tmp_path)
    _edit_rule(kb_dir, "DOSE-001", lambda r: r["then"][0].update(dose="$nosuch.dose"))
    with pytest.raises(KnowledgeBaseError):
        kb = load_knowledge_base(kb_dir)
        _plan(TWO_DELIVERERS, kb)


def test_duplicate_rule_ids_are_refused(tmp_path):
    from planner import load_knowledge_base
    from planner.errors import KnowledgeBaseError

    kb_dir = _kb_copy(tmp_path)
    _edit_rule(kb_dir, "DOSE-001", lambda r: r.update(id="SEQ-001"))
    with pytest.raises(KnowledgeBaseError, match="SEQ-001"):
        load_knowledge_base(kb_dir)


def test_the_catalogue_matches_the_assessment_contract(kb):
    """Function ids are the contract: the knowledge base must have exactly the spec's table."""
    for region, ids in REGION_FUNCTIONS.items():
        assert [f for f, e in kb.functions.items() if e["region"] == region] == ids, region
    assert list(kb.regions) == list(REGION_FUNCTIONS)


def test_shuffled_input_facts_give_the_same_plan(kb, monkeypatch):
    """The same check one level up: with the engine fed the input facts in random orders,
    every recommendation, deferral, exclusion and review of the plan is unchanged."""
    from planner.reasoning import facts as facts_module
    from planner.plans import planning
    from planner.intake.assessment import from_data

    data = make_assessment(brainstem=4, diencephalon=6, limbic=5, cortex=7, age=8,
                           context={"avoid": ["touch"], "interests": ["music", "animals"], "team": ["caregiver"]},
                           current={"arousal": "alarm", "relational_health": 4})
    assessment = from_data(data, kb=kb)
    sections = ("regions", "start", "steps", "alternatives", "deferred", "excluded", "strengths", "review")
    baseline = {k: v for k, v in planning.make_plan(assessment, kb).to_dict().items() if k in sections}
    original = facts_module.build_facts
    rng = random.Random(11)
    for _ in range(3):
        def shuffled(*args, **kwargs):
            out = list(original(*args, **kwargs))
            rng.shuffle(out)
            return out
        monkeypatch.setattr(planning, "build_facts", shuffled)
        again = {k: v for k, v in planning.make_plan(assessment, kb).to_dict().items() if k in sections}
        assert again == baseline


def test_conclusions_kept_out_of_the_c_core_change_nothing(kb):
    """The lean driver keeps conclusions of kinds no rule reads out of the C core and hands it
    the catalogue pre-encoded. Over 300 seeded random assessments it concludes exactly what a
    driver that hands the C core every fact concludes: the same facts, in the same order, by
    the same firings."""
    from planner.intake.assessment import from_data
    from planner.reasoning.engine import CompiledKnowledge, compiled
    from planner.reasoning.facts import build_facts
    from tests.test_plan_invariants import random_assessment

    class EveryFact(CompiledKnowledge):
        name_prefix = "every_fact_"

        @staticmethod
        def unread_kinds(kb):
            return set()

    lean, full = compiled(kb), EveryFact(kb)
    assert lean.unread and not full.unread
    read = {p["fact"] for rule in kb.active_rules for p in rule["when"].values()}
    assert not lean.unread & read                    # no pattern, positive or negated, names them
    rng = random.Random(24)
    for index in range(300):
        facts = build_facts(from_data(random_assessment(rng, index), kb=kb), kb)
        a, b = lean.evaluate(facts), full.evaluate(facts)
        assert list(a.facts) == list(b.facts) and a.producers == b.producers
        assert [f.to_dict() for f in a.trace] == [f.to_dict() for f in b.trace]
