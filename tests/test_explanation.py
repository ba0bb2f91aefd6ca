"""The one explanation model (issue 22, item 1): every step, deferral and exclusion of every
bundled example answers in one plain sentence with no fact or rule identifier, and its tree
names every node in words; a deferral's sentence names the gates the plan itself gives."""
from __future__ import annotations

import json
import re

import pytest

from planner.api import plan_for
from planner.intake.examples import bundled_paths
from planner.plans.explanation import explain, render
from tests.conftest import cli_in_process

# a fact id (kind|field=value), a rule id (GATE-004, RS-RELEVANT-002) or a snake_case id
IDENTIFIER = re.compile(r"[|=]|\b[A-Z]+(?:-[A-Z]+)*-\d{3}\b|\b[a-z]+_[a-z_]+\b")


def _targets(plan):
    return ([s["id"] for s in plan.steps] + [d["activity"] for d in plan.deferred]
            + [x["activity"] for x in plan.excluded])


def _nodes(tree):
    for node in tree:
        yield node
        yield from _nodes(node["children"])


@pytest.mark.parametrize("name", sorted(bundled_paths()))
def test_every_answer_is_a_plain_sentence_over_a_tree_in_words(name):
    plan = plan_for(name)
    for target in _targets(plan):
        answer = explain(plan, target)
        sentence = answer["sentence"]
        assert not IDENTIFIER.search(sentence), (name, target, sentence)
        assert sentence.endswith(".") and sentence[0].isupper(), (name, target, sentence)
        assert answer["tree"], (name, target)
        for node in _nodes(answer["tree"]):
            assert node["fact"] and not IDENTIFIER.search(node["fact"]), (name, target, node["fact"])
            if "rule" in node:
                assert not IDENTIFIER.search(node["rule"]["title"]), node["rule"]
                assert node["because"] and not IDENTIFIER.search(node["because"]), node


@pytest.mark.parametrize("name", sorted(bundled_paths()))
def test_a_deferral_names_the_plans_own_gates(name):
    """The sentence gives each reason the plan's Deferred section gives: the state, each region
    holding the gate and the dissociation, in words."""
    plan = plan_for(name)
    child = plan.client.get("name") or "the child"
    for deferral in plan.deferred:
        sentence = explain(plan, deferral["activity"], why_not=True)["sentence"]
        assert sentence.startswith(f"{deferral['name']} waits because "), sentence
        for gate in deferral["gates"]:
            if gate["by"] == "arousal":
                assert f"{child} is usually in " in sentence, (gate, sentence)
            elif gate["by"] in plan.knowledge.regions:
                assert f"the {plan.knowledge.label(gate['by'])} is " in sentence, (gate, sentence)
            else:
                assert f"{child} often dissociates" in sentence, (gate, sentence)
        assert deferral["gate_until"] in sentence


def test_storytelling_waits_for_robins_state_brainstem_and_dissociation():
    sentence = explain(plan_for("young-child-brainstem"), "storytelling", why_not=True)["sentence"]
    assert sentence.startswith("Storytelling waits because Robin is usually in alarm, the Brainstem is severe, "
                               "the Diencephalon/cerebellum is severe and Robin often dissociates; "
                               "it can start when the child's typical state is calm or alert"), sentence


def test_why_prints_the_sentence_then_the_tree_down_to_the_ratings():
    result = cli_in_process("why", "young-child-brainstem", "S1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Why: S1 Rocking to song (regulate phase)"
    assert lines[1].startswith("Rocking to song is step S1 (regulate phase) because the Brainstem is severe (mean 3.75)")
    assert "- Brainstem: severe (mean 3.75, developmental age about 1.4 years) [4]" in result.stdout
    assert "rule: Region is severely impaired (BAND-004)" in result.stdout
    assert "- Cardiovascular regulation: rated 3 [assessment]" in result.stdout
    assert "References:" in result.stdout and "https://doi.org/" in result.stdout


@pytest.mark.parametrize("fmt", ["md", "json", "text"])
def test_every_format_carries_the_same_sentence(fmt):
    plan = plan_for("young-child-brainstem")
    answer = explain(plan, "holding_routines", why_not=True)
    text = render(answer, fmt)
    assert answer["sentence"] in text
    if fmt == "json":
        assert json.loads(text) == answer
    result = cli_in_process("why-not", "young-child-brainstem", "Holding and wrapping", "--format", fmt)
    assert result.returncode == 0 and result.stdout == text, result.stderr


@pytest.mark.parametrize("target, answer", [("O1", "objective"), ("dissociation", "caution"),
                                            ("key_adult", "referral_to_consider"),
                                            ("caregiver_coaching", "referral"), ("dance", "alternative"),
                                            ("cbt", "never_proposed")])
def test_any_conclusion_has_an_answer(target, answer):
    explanation = explain(plan_for("young-child-brainstem"), target)
    assert explanation["answer"] == answer
    assert not IDENTIFIER.search(explanation["sentence"]), explanation["sentence"]
    assert all(not IDENTIFIER.search(n["fact"]) for n in _nodes(explanation["tree"]))


def test_the_engines_view_stays_behind_format_rules():
    result = cli_in_process("why-not", "young-child-brainstem", "music_lessons", "--format", "rules")
    assert result.returncode == 0, result.stderr
    assert "region_band.band is 'severe'" in result.stdout and "GATE-002" in result.stdout


def test_explanations_are_deterministic():
    first = render(explain(plan_for("dissociation"), "S1"), "json")
    assert render(explain(plan_for("dissociation"), "S1"), "json") == first
