"""`seqplan kb check|coverage|list` on the bundled knowledge base and on broken copies,
and the README documenting every command and option."""
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return CliRunner().invoke(main, list(args))


def edit_rule(kb_dir, rule_id, change):
    for path in (kb_dir / "rules").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        for rule in data["rules"]:
            if rule["id"] == rule_id:
                change(rule)
                path.write_text(yaml.safe_dump(data, sort_keys=False))
                return
    raise AssertionError(f"no rule {rule_id}")


def test_bundled_knowledge_base_passes_check():
    result = run("kb", "check")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("ok")


def test_every_active_rule_has_a_scenario():
    result = run("kb", "coverage", "--features", str(ROOT / "features"))
    assert result.exit_code == 0, result.output
    assert "(100%)" in result.output


def test_coverage_fails_and_names_the_rules_without_a_scenario(tmp_path):
    (tmp_path / "one.feature").write_text("Feature: x\n  @rule:SEQ-001\n  Scenario: y\n    Given z\n")
    result = run("kb", "coverage", "--features", str(tmp_path))
    assert result.exit_code == 1
    assert "no scenario: GATE-001" in result.output
    assert "no scenario: SEQ-001" not in result.output


@pytest.mark.parametrize("rule_id, change, message", [
    ("SEL-001", lambda r: r.update(sources=["seqplan#28"]), "cites section 28 of the domain brief"),
    ("SEL-001", lambda r: r["when"].update(deferred={"fact": "step", "not": True, "activity": "$candidate.activity"}),
     "negates 'step', which layer 'select' produces"),
    ("SEL-001", lambda r: r["when"].pop("deferred"), "without excluding a deferral"),
    ("GATE-001", lambda r: r.update(sources=["nosuch#4"]), "cites unknown source 'nosuch#4'"),
    ("GATE-001", lambda r: r["when"].update(extra={"fact": "no_such_kind"}), "can never fire: nothing produces 'no_such_kind'"),
    ("PROP-001", lambda r: r["when"].update(later={"fact": "dosed"}), "first produced in the later layer 'dose'"),
    ("GATE-001", lambda r: r.update(because="{{ nobody.region }}"), "because uses 'nobody'"),
    ("GATE-001", lambda r: r["when"]["region"].update(colour="red"), "tests 'colour'"),
])
def test_check_reports_a_broken_rule(kb_copy, rule_id, change, message):
    edit_rule(kb_copy, rule_id, change)
    result = run("kb", "check", "--kb", str(kb_copy))
    assert result.exit_code == 1
    assert message in result.output


def test_check_reports_a_dangling_activity_reference(kb_copy):
    path = kb_copy / "activities.yaml"
    data = yaml.safe_load(path.read_text())
    data["activities"][0]["tags"].append("glitter")
    data["activities"][0]["delivered_by"].append("wizard")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = run("kb", "check", "--kb", str(kb_copy))
    assert result.exit_code == 1
    assert "tags: unknown 'glitter'" in result.output
    assert "delivered_by: unknown 'wizard'" in result.output


def test_check_refuses_an_r_that_could_go_unjudged(kb_copy):
    """A step needs all six Rs met; an R that no rule can fail must come with every phase's dose."""
    path = kb_copy / "doses.yaml"
    data = yaml.safe_load(path.read_text())
    del data["gives"]["enrich"]["rhythmic"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = run("kb", "check", "--kb", str(kb_copy))
    assert result.exit_code == 1
    assert "nothing can fail 'rhythmic'" in result.output and "the dose of enrich does not give it" in result.output


def test_list_activities_as_json_has_the_required_catalogue():
    result = run("kb", "list", "activities", "--format", "json")
    ids = {a["id"] for a in json.loads(result.output)}
    assert len(ids) >= 30
    assert {"drumming", "music_and_movement", "therapeutic_massage", "yoga", "balance_activities", "rocking",
            "walking", "patterned_breathing", "animal_assisted", "play_therapy", "filial_play", "creative_arts",
            "dance", "storytelling", "drama", "cbt", "narrative_therapy", "insight_therapy"} <= ids


def test_list_functions_gives_the_32_spec_functions():
    functions = json.loads(run("kb", "list", "functions", "--format", "json").output)
    assert len(functions) == 32
    assert {f["region"] for f in functions} == {"brainstem", "diencephalon", "limbic", "cortex"}


def _commands(group, prefix=()):
    import click

    for name, command in group.commands.items():
        path = prefix + (name,)
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


def test_readme_documents_every_command_and_option():
    readme = (ROOT / "README.md").read_text()
    missing = []
    for path, command in _commands(main):
        if f"seqplan {' '.join(path)}" not in readme:
            missing.append("seqplan " + " ".join(path))
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-") and opt not in readme:
                    missing.append(f"seqplan {' '.join(path)} {opt}")
    assert not missing, f"README.md does not mention: {missing}"


def test_check_catches_a_negation_of_what_its_own_layer_concludes(kb_copy):
    """A verdict rule negating `activity_fails` with r=relational: the verdict layer itself
    concludes such facts, so the negation could fire before them (no stratification)."""
    path = kb_copy / "rules" / "verdict.yaml"
    data = yaml.safe_load(path.read_text())
    data["rules"].append({
        "id": "DEMO-001", "title": "t", "version": 1, "status": "active", "layer": "verdict", "principle": "p",
        "when": {"candidate": {"fact": "candidate"},
                 "gone": {"fact": "activity_fails", "not": True, "activity": "$candidate.activity", "r": "relational"}},
        "then": [{"fact": "note", "activity": "$candidate.activity"}],
        "because": "x", "sources": ["seqplan#4"]})
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = run("kb", "check", "--kb", str(kb_copy))
    assert result.exit_code == 1
    assert "DEMO-001: pattern 'gone' negates 'activity_fails', which layer 'verdict' produces" in result.output


def test_a_broken_justification_is_a_one_line_error_not_a_crash(kb_copy):
    edit_rule(kb_copy, "DOSE-001", lambda r: r.update(because="{{ step.nofield }}"))
    assert "because reads 'step.nofield'" in run("kb", "check", "--kb", str(kb_copy)).output
    result = run("plan", "--example", "middle-limbic", "--kb", str(kb_copy))
    assert result.exit_code == 2 and "DOSE-001" in result.output and "Traceback" not in result.output
    edit_rule(kb_copy, "DOSE-001", lambda r: r.update(because="{{ x }"))
    result = run("plan", "--example", "middle-limbic", "--kb", str(kb_copy))
    assert result.exit_code == 2 and "DOSE-001: because" in result.output


def test_every_fact_kind_the_code_reads_by_name_is_declared_in_kb_yaml(kb):
    """The planner's half of the contract: a kind read by name (of_kind, index, _listed, ...)
    is an input fact or a declared concluded fact, so `kb check` can hold rules to it."""
    import re

    from planner.reasoning.facts import catalogue_facts

    root = Path(__file__).resolve().parent.parent / "planner"
    pattern = re.compile(r'(?:of_kind|_listed|_one|_by_activity)\((?:[a-z_]+, )*"([a-z_]+)"'
                         r'|\bindex\("([a-z_]+)", |\["kind"\] == "([a-z_]+)"')
    # the stages that read an evaluation's facts (the record, web and CDS layers read plans)
    paths = [p for stage in ("plans", "outputs", "reasoning", "kb", "trainer", "caseload") for p in (root / stage).rglob("*.py")]
    read = {next(g for g in m.groups() if g) for path in paths for m in pattern.finditer(path.read_text())}
    declared = set(kb.input_facts) | set(kb.concluded_facts) | {f["kind"] for f in catalogue_facts(kb)}
    assert read - declared == set()
    assert len(read) > 30           # the pattern still finds the reads


def test_kb_check_refuses_rules_that_no_longer_conclude_what_the_planner_reads(kb_copy):
    """Renaming `caution` in the rules used to pass every check; plans then silently lost
    the dissociation caution."""
    from planner.api import check_knowledge_base

    for path in (kb_copy / "rules").glob("*.yaml"):
        path.write_text(path.read_text().replace("{fact: caution,", "{fact: warning_note,")
                        .replace("fact: caution\n", "fact: warning_note\n"))
    _, problems = check_knowledge_base(kb_copy)
    assert any(p.startswith("kb.yaml concluded_facts.caution: no active rule concludes it") for p in problems), problems
