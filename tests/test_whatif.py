"""Trainer mode on the command line: what-if, step-through and the teaching vignettes.

The vignettes' teaching notes make claims about the model's reasoning ("the plan starts from
the child's state", "the gate held by arousal opens"); each note's ``checks`` block states
those claims in a checkable form, and this file checks them against the plans the current
knowledge base makes, so a knowledge-base change that breaks a teaching note is caught.
"""
from __future__ import annotations

import json
import shutil

import pytest
import yaml

from tests.conftest import EXAMPLES_DIR, ROOT, cli_in_process

VIGNETTES_DIR = ROOT / "vignettes"
VIGNETTES = sorted(p.stem for p in VIGNETTES_DIR.glob("*.yaml"))
TEACHING_POINTS = {"bottom-up-start", "state-before-scores", "developmental-age", "six-rs-fail", "dissociation",
                   "low-relational-health"}


def note(name):
    return yaml.safe_load((VIGNETTES_DIR / "notes" / f"{name}.yaml").read_text("utf-8"))


def plan_json(*args):
    result = cli_in_process("plan", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# ---------------------------------------------------------------- claims of the teaching notes


def _where(plan, activity):
    for key in ("steps", "alternatives", "deferred", "excluded"):
        if any(item["activity"] == activity for item in plan[key]):
            return key
    return None


def check_claims(plan, claims):
    """Every claim of a note's checks block that does not hold for ``plan``, as text."""
    gates = {f["by"] for f in plan["facts"].values() if f["kind"] == "gate"}
    bands = {r["id"]: r["band"] for r in plan["regions"]}
    cautions = {c["caution"] for c in plan["cautions"]}
    excluded = {e["activity"]: {f["r"] for f in e["fails"]} for e in plan["excluded"]}
    start = plan["start"] or {}
    failed = []
    for kind, value in claims.items():
        if kind == "start_region":
            ok = start.get("region") == value
        elif kind == "start_state":
            ok = start.get("state") == value
        elif kind == "first_phase":
            ok = bool(plan["steps"]) and plan["steps"][0]["phase"] == value
        elif kind == "gates_closed_by":
            ok = set(value) <= gates
        elif kind == "no_gate_by":
            ok = not set(value) & gates
        elif kind == "region_band":
            ok = all(bands[r] == b for r, b in value.items())
        elif kind == "deferred":
            ok = all(_where(plan, a) == "deferred" for a in value)
        elif kind == "not_deferred":
            ok = all(_where(plan, a) != "deferred" for a in value)
        elif kind == "excluded_for":
            ok = all(r in excluded.get(a, ()) for a, r in value.items())
        elif kind == "not_excluded":
            ok = all(a not in excluded for a in value)
        elif kind == "offered":
            ok = all(_where(plan, a) in ("steps", "alternatives") for a in value)
        elif kind == "not_offered":
            ok = all(_where(plan, a) not in ("steps", "alternatives") for a in value)
        elif kind == "cautions":
            ok = set(value) <= cautions
        elif kind == "no_cautions":
            ok = not set(value) & cautions
        else:
            raise AssertionError(f"unknown claim kind {kind!r} in a teaching note")
        if not ok:
            failed.append(f"{kind}: {value}")
    return failed


def test_check_claims_can_fail():
    plan = plan_json("young-child-brainstem")
    assert check_claims(plan, {"start_state": "alarm", "gates_closed_by": ["arousal"]}) == []
    assert check_claims(plan, {"start_region": "cortex", "no_gate_by": ["arousal"], "cautions": ["none"]}) == [
        "start_region: cortex", "no_gate_by: ['arousal']", "cautions: ['none']"]


@pytest.mark.parametrize("name", sorted(TEACHING_POINTS))
def test_teaching_note_claims_hold(name, tmp_path):
    """What trainees are told they will see (as-is, and after the note's what-if) is what the plans show."""
    n = note(name)
    assert check_claims(plan_json(name), n["checks"]["before"]) == [], f"{name}: the note's claims about the plan"
    sets = [a for s in n["whatif"]["set"] for a in ("--set", s)]
    result = cli_in_process("whatif", name, *sets, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["changed"] or report["reasoning_changed"], f"{name}: the note's what-if changes nothing"
    changed = {}
    for field in report["set"]:
        changed[field["field"]] = field["to"]
    data = yaml.safe_load((VIGNETTES_DIR / f"{name}.yaml").read_text("utf-8"))
    for field, value in changed.items():
        *parents, leaf = field.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    path = tmp_path / f"whatif-{name}.yaml"   # the changed plan, checked as a file a trainer could have written
    path.write_text(yaml.safe_dump(data), "utf-8")
    after = plan_json(path)
    assert check_claims(after, n["checks"]["after"]) == [], f"{name}: the note's what-if claims"


# ---------------------------------------------------------------- the vignettes themselves


def test_six_vignettes_cover_the_teaching_points_and_are_listed():
    assert TEACHING_POINTS <= set(VIGNETTES)
    result = cli_in_process("vignettes")
    assert result.returncode == 0, result.stderr
    listed = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert listed == VIGNETTES
    assert all(line.split("\t")[1] for line in result.stdout.splitlines()), "each vignette has a description"


@pytest.mark.parametrize("name", VIGNETTES)
def test_vignette_is_valid_and_distinct_from_the_examples(name):
    result = cli_in_process("validate", name)
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load((VIGNETTES_DIR / f"{name}.yaml").read_text("utf-8"))
    example_ids = {yaml.safe_load(p.read_text("utf-8"))["client"]["id"] for p in EXAMPLES_DIR.glob("*.yaml")}
    assert data["client"]["id"] not in example_ids
    n = note(name)
    for key in ("title", "teaches", "case", "questions", "whatif", "checks"):
        assert n.get(key), f"{name}: teaching note has no {key}"
    assert n["whatif"]["set"] and n["whatif"]["see"]
    shown = cli_in_process("vignettes", name)
    assert shown.returncode == 0, shown.stderr
    assert n["title"] in shown.stdout and "seqplan whatif " + name in shown.stdout


def test_every_file_command_accepts_a_vignette_name():
    for args in (("why", "state-before-scores", "S1"), ("why-not", "state-before-scores", "cbt"),
                 ("trace", "dissociation"), ("map", "dissociation"), ("plan", "six-rs-fail"),
                 ("steps", "bottom-up-start", "--layer", "focus"),
                 ("whatif", "bottom-up-start", "--set", "sleep=12")):
        result = cli_in_process(*args)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stdout.strip(), args


def test_unknown_vignette_note_is_a_one_line_error():
    result = cli_in_process("vignettes", "disociation")
    assert result.returncode == 2
    assert result.stderr.strip() == ("seqplan: error: seqplan vignettes: disociation: no such teaching vignette "
                                     "(did you mean 'dissociation'?)")


# ---------------------------------------------------------------- what-if


def test_whatif_reports_a_gate_opening_with_its_rule_and_leaves_the_file_alone(tmp_path):
    path = tmp_path / "mia.yaml"
    shutil.copy(VIGNETTES_DIR / "state-before-scores.yaml", path)
    before = path.read_bytes()
    result = cli_in_process("whatif", path, "--set", "current.arousal=alert", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert path.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == [path], "nothing written beside the file"
    report = json.loads(result.stdout)
    assert report["set"] == [{"field": "current.arousal", "from": "fear", "to": "alert"}]
    opened = [g for g in report["gates"] if g["status"] == "opened"]
    assert {g["by"] for g in opened} == {"arousal"} and all(g["rules"] for g in opened)
    assert report["start"]["from"]["state"] == "fear" and report["start"]["to"].get("region")
    added = [s for s in report["steps"] if s["change"] == "added"]
    assert added and all(s["was"] == "deferred" and s["was_rules"] for s in added)
    assert report["rules"]["no_longer_firing"], "the rules that stopped firing are named"
    md = cli_in_process("whatif", path, "--set", "current.arousal=alert")
    assert md.returncode == 0, md.stderr
    assert "**opened**" in md.stdout and "current.arousal" in md.stdout


def test_whatif_is_deterministic_and_a_no_op_says_so():
    a = cli_in_process("whatif", "middle-limbic", "--set", "sleep=9", "--set", "context.avoid=touch", "--format", "json")
    b = cli_in_process("whatif", "middle-limbic", "--set", "sleep=9", "--set", "context.avoid=touch", "--format", "json")
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    age = yaml.safe_load((EXAMPLES_DIR / "teen-cortical.yaml").read_text("utf-8"))["client"]["age_years"]
    same = cli_in_process("whatif", "teen-cortical", "--set", f"client.age_years={age}")
    assert same.returncode == 0, same.stderr
    assert "- None: the plan is compared with itself." in same.stdout
    assert "Nothing in the plan changed" in same.stdout


@pytest.mark.parametrize("spec, message", [
    ("slep=3", "--set: slep: is not a field a what-if can set (did you mean 'sleep'?)"),
    ("sleep=13", "--set: functioning.sleep: 13 is out of range (use a value from 0 to 12)"),
    ("sleep=high", "--set: functioning.sleep: must be a whole number, got \"high\""),
    ("current.arousal=calmm", "--set: current.arousal: 'calmm' is not allowed (did you mean 'calm'?)"),
    ("sleep", "--set: sleep: is not FIELD=VALUE"),
    ("context.notes=x", "--set: context.notes: is not a field a what-if can set"),
])
def test_bad_set_is_a_one_line_error(spec, message):
    result = cli_in_process("whatif", "middle-limbic", "--set", spec)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("seqplan: error: " + message), lines[0]


def test_unrating_a_function_or_unrecording_the_state_with_none():
    report = json.loads(cli_in_process("whatif", "middle-limbic", "--set", "sleep=none", "--format", "json").stdout)
    assert report["set"][0]["to"] is None
    assert [f["to_band"] for f in report["functions"] if f["id"] == "sleep"] == ["unrated"]
    state = cli_in_process("whatif", "state-before-scores", "--set", "current.arousal=none", "--format", "json")
    assert state.returncode == 0, state.stderr
    report = json.loads(state.stdout)
    assert report["set"] == [{"field": "current.arousal", "from": "fear", "to": None}]
    assert {g["by"] for g in report["gates"] if g["status"] == "opened"} == {"arousal"}


# ---------------------------------------------------------------- steps


def test_steps_lists_every_firing_once_layer_by_layer():
    steps = json.loads(cli_in_process("steps", "young-child-brainstem", "--format", "json").stdout)
    trace = cli_in_process("trace", "young-child-brainstem", "--format", "jsonl").stdout.splitlines()
    numbers = [f["n"] for layer in steps["layers"] for f in layer["firings"]]
    assert sorted(numbers) == list(range(1, len(trace) + 1))
    assert [layer["name"] for layer in steps["layers"]][:3] == ["summarise", "focus", "propose"]
    first = steps["layers"][1]["firings"][0]
    assert first["rule"] and first["because"] and first["matched"] and first["title"]
    focus = cli_in_process("steps", "young-child-brainstem", "--layer", "focus")
    assert focus.returncode == 0
    assert "## Layer 2: focus" in focus.stdout and "Layer 1" not in focus.stdout
    assert "Because: The child is typically in alarm" in focus.stdout


def test_steps_unknown_layer():
    result = cli_in_process("steps", "young-child-brainstem", "--layer", "focs")
    assert result.returncode == 2
    assert result.stderr.strip() == ("seqplan: error: --layer: focs: is not a layer of the knowledge base "
                                     "(did you mean 'focus'?)")
