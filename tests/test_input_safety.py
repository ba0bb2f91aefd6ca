"""Input that could silently change or forge a plan: duplicate keys, markup in names and
notes, a barely rated assessment, and a stored plan that was edited."""
import json

import yaml

from tests.conftest import EXAMPLES_DIR, make_assessment, run_cli, write_assessment


def test_a_score_given_twice_is_refused_not_overwritten(tmp_path):
    text = yaml.safe_dump(make_assessment(brainstem=4), sort_keys=False)
    text = text.replace("functioning:\n", "functioning:\n  cardiovascular: 12\n", 1)   # 4 is rated below
    path = write_assessment(tmp_path, text)
    result = run_cli("plan", path, "-o", tmp_path / "plan.md")
    assert result.returncode == 2
    assert "cardiovascular: appears twice" in result.stderr
    assert not (tmp_path / "plan.md").exists()


def test_a_duplicate_key_in_json_is_refused(tmp_path):
    path = tmp_path / "child.json"
    data = json.dumps(make_assessment()).replace('"sleep": 12', '"sleep": 2, "sleep": 12')
    path.write_text(data)
    result = run_cli("validate", path)
    assert result.returncode == 2 and "sleep: appears twice" in result.stderr


def test_a_name_cannot_forge_a_step_in_the_markdown_plan(tmp_path):
    data = make_assessment(brainstem=4)
    data["client"]["name"] = "Sam ## Steps ### S1. Regulate: Something unsafe <script>x</script> [link](http://x)"
    data["context"] = {"notes": "first line # HEADING <b>bold</b>"}
    md = run_cli("plan", write_assessment(tmp_path, data)).stdout
    assert md.count("### S1.") == 1
    assert "<script>" not in md and "<b>" not in md and "[link](http" not in md
    assert not any(line.startswith("# HEADING") for line in md.splitlines())


def test_a_line_break_in_a_name_is_an_input_error(tmp_path):
    data = make_assessment()
    data["client"]["name"] = "Sam\n## Steps"
    result = run_cli("plan", write_assessment(tmp_path, data))
    assert result.returncode == 2 and "client.name" in result.stderr and "line break" in result.stderr


def test_whole_number_scores_written_as_floats_are_the_same_input(tmp_path):
    whole = make_assessment(brainstem=4)
    floats = json.loads(json.dumps(whole))
    floats["functioning"] = {k: float(v) for k, v in floats["functioning"].items()}
    a = json.loads(run_cli("plan", write_assessment(tmp_path, whole, "a", "json"), "--format", "json").stdout)
    b = json.loads(run_cli("plan", write_assessment(tmp_path, floats, "b", "json"), "--format", "json").stdout)
    assert a["input_digest"] == b["input_digest"]


def test_an_assessment_with_one_rating_is_not_read_as_a_typical_child(tmp_path):
    data = make_assessment()
    data["functioning"] = {"sleep": 3}
    plan = json.loads(run_cli("plan", write_assessment(tmp_path, data), "--format", "json").stdout)
    assert {r["band"] for r in plan["regions"]} == {"insufficient_data"}
    assert plan["review"]["weeks"] < 12 and "REVIEW-006" in plan["review"]["rules"]
    assert all(s["phase"] != "reason" for s in plan["steps"])


def test_audit_names_an_edited_dose_and_survives_an_edited_type(tmp_path):
    example = EXAMPLES_DIR / "teen-cortical.yaml"
    stored = json.loads(run_cli("plan", example, "--format", "json").stdout)
    stored["steps"][0]["dose"]["minutes"] = "5"
    stored["review"] = "soon"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(stored, indent=2))
    result = run_cli("audit", path, example)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"steps.{stored['steps'][0]['activity']}.dose.minutes: \"5\" -> " in result.stdout
    assert "~ review: \"soon\" -> " in result.stdout


def test_audit_of_an_untouched_plan_reproduces(tmp_path):
    example = EXAMPLES_DIR / "middle-limbic.yaml"
    path = tmp_path / "plan.json"
    assert run_cli("plan", example, "--format", "json", "-o", path).returncode == 0
    result = run_cli("audit", path, example)
    assert result.returncode == 0 and result.stdout.startswith("reproduced")
