"""The step-selection policy is knowledge: parameter step_order orders the activities that
meet all six Rs, `kb check` refuses a criterion the planner does not know, and why-not says
the policy from the parameters, not from a sentence of its own."""
import re

import yaml

from planner.api import check_knowledge_base, explain_why_not, plan_for
from planner.kb.policy import STEP_ORDER
from planner.resources import data_dir


def _set_step_order(kb_dir, value):
    path = kb_dir / "parameters.yaml"
    text = path.read_text()
    old = "value: [starting_phase, phase, region, lead, matched_interest, catalogue_rank]"
    assert old in text
    path.write_text(text.replace(old, f"value: {value}"))


def test_kb_check_refuses_an_unknown_ordering_criterion(kb_copy):
    _set_step_order(kb_copy, "[starting_phase, phase, alphabetical, catalogue_rank]")
    summary, problems = check_knowledge_base(kb_copy)
    assert any("step_order: unknown criterion 'alphabetical'" in p for p in problems)


def test_the_order_of_the_steps_follows_the_parameter(kb_copy):
    """Catalogue rank first: the steps of the first phase come in catalogue order, region aside."""
    bundled = plan_for("middle-limbic")
    _set_step_order(kb_copy, "[starting_phase, phase, catalogue_rank]")
    reordered = plan_for("middle-limbic", kb_dir=kb_copy)
    rank = reordered.knowledge.rank
    first = [s["activity"] for s in reordered.steps if s["phase"] == reordered.steps[0]["phase"]]
    assert first == sorted(first, key=rank.get)
    assert [s["activity"] for s in bundled.steps] != [s["activity"] for s in reordered.steps]


def test_every_criterion_has_words_for_the_explanations():
    table = yaml.safe_load((data_dir("templates") / "explain.yaml").read_text())
    assert set(table["step_order"]) == set(STEP_ORDER)


def test_why_not_an_alternative_says_the_policy_of_the_parameters():
    plan = plan_for("middle-limbic")
    alternative = plan.alternatives[0]
    text = explain_why_not("middle-limbic", alternative["activity"])
    assert "parameter steps_per_phase" in text and "parameter step_order" in text
    assert f"each phase lists {plan.knowledge.parameter_values['steps_per_phase']} steps" in text
    table = yaml.safe_load((data_dir("templates") / "explain.yaml").read_text())
    said = [table["step_order"][c] for c in plan.knowledge.parameter_values["step_order"]]
    positions = [text.index(words) for words in said]
    assert positions == sorted(positions)          # in the parameter's order
    assert not re.search(r"\{\{|\}\}", text)
