"""Malformed assessments are refused with one actionable line on stderr and exit code 2.

Every case is planned with ``-o``: a refused input must never leave an output file behind.
"""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from tests.conftest import EXAMPLES_DIR, make_assessment, run_cli, write_assessment
from planner.cli import main


def _set(data, dotted, value):
    """Set (or, with value ``DELETE``, remove) a dotted field of an assessment dict."""
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


DELETE = object()


def _mutated(dotted, value, **kwargs):
    return _set(make_assessment(**kwargs), dotted, value)


def _with_history(age, period):
    return make_assessment(age=age, history={period: {"adversity": 1, "relational_poverty": 1}})


# id -> (assessment dict, substrings the one-line message must contain)
CASES = {
    "age-as-string": (_mutated("client.age_years", "9.5"), ["client.age_years"]),
    "age-as-bool": (_mutated("client.age_years", True), ["client.age_years"]),
    "age-zero": (_mutated("client.age_years", 0), ["client.age_years"]),
    "age-negative": (_mutated("client.age_years", -3), ["client.age_years"]),
    "age-26": (_mutated("client.age_years", 26), ["client.age_years"]),
    "age-nan": (_mutated("client.age_years", float("nan")), ["client.age_years"]),
    "age-infinite": (_mutated("client.age_years", float("inf")), ["client.age_years"]),
    "score-as-string": (_mutated("functioning.sleep", "4"), ["functioning.sleep"]),
    "score-float": (_mutated("functioning.sleep", 4.5), ["functioning.sleep"]),
    "score-bool": (_mutated("functioning.sleep", True), ["functioning.sleep"]),
    "score-13": (_mutated("functioning.cardiovascular", 13), ["functioning.cardiovascular"]),
    "score-minus-1": (_mutated("functioning.cardiovascular", -1), ["functioning.cardiovascular"]),
    "client-id-null": (_mutated("client.id", None), ["client.id", "is empty (fill it in)"]),
    "relational-health-13": (make_assessment(current={"relational_health": 13}), ["current.relational_health"]),
    "history-rating-4": (make_assessment(history={"perinatal": {"adversity": 4, "relational_poverty": 0}}),
                         ["history.perinatal.adversity"]),
    "history-missing-rating": (make_assessment(history={"infancy": {"adversity": 1}}),
                               ["relational_poverty"]),
    "unknown-function": (_set(_mutated("functioning.cardiovascular", DELETE), "functioning.cardiovasculr", 4),
                         ["functioning.cardiovasculr", "did you mean", "cardiovascular"]),
    "unknown-top-level-key": (_set(_mutated("functioning", DELETE), "funtioning",
                                   make_assessment()["functioning"]),
                              ["funtioning", "did you mean", "functioning"]),
    "unknown-client-key": (_set(make_assessment(), "client.nmae", "Sam"), ["client.nmae", "did you mean", "name"]),
    "missing-format": (_mutated("format", DELETE), ["format"]),
    "missing-client-id": (_mutated("client.id", DELETE), ["client.id"]),
    "empty-client-id": (_mutated("client.id", ""), ["client.id"]),
    "missing-age": (_mutated("client.age_years", DELETE), ["client.age_years"]),
    "missing-assessed-on": (_mutated("assessed_on", DELETE), ["assessed_on"]),
    "missing-functioning": (_mutated("functioning", DELETE), ["functioning"]),
    "empty-functioning": (_mutated("functioning", {}), ["functioning"]),
    "wrong-format": (_mutated("format", "seqplan/assessment-2"), ["format", "seqplan/assessment-1"]),
    "date-not-iso": (_mutated("assessed_on", "02/11/2026"), ["assessed_on"]),
    "date-impossible": (_mutated("assessed_on", "2026-02-30"), ["assessed_on"]),
    "adolescence-at-6": (_with_history(6, "adolescence"), ["history.adolescence"]),
    "childhood-at-3": (_with_history(3, "childhood"), ["history.childhood"]),
    "unknown-arousal": (make_assessment(current={"arousal": "panic"}), ["current.arousal"]),
    "interests-not-a-list": (make_assessment(context={"interests": "music"}), ["context.interests"]),
    "unknown-context-key": (make_assessment(context={"intrests": ["music"]}),
                            ["context.intrests", "did you mean", "interests"]),
}


def _assert_refused(exit_code, stderr, out_path, must_contain, file_name):
    assert exit_code == 2, f"exit code {exit_code}, stderr: {stderr!r}"
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {stderr!r}"
    message = lines[0]
    assert file_name in message, f"message does not name the file: {message!r}"
    for text in must_contain:
        assert text in message, f"{text!r} not in {message!r}"
    assert not out_path.exists(), "a refused input left an output file behind"
    leftovers = [p.name for p in out_path.parent.iterdir() if p.name.startswith(f".{out_path.name}.")]
    assert not leftovers, f"temporary output files left behind: {leftovers}"


def _invoke(args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    # A SystemExit is how click reports an exit code; any other exception escaped the CLI.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}")
    return result


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_malformed_input_is_refused_in_one_line(tmp_path, case, fmt):
    data, must_contain = CASES[case]
    path = write_assessment(tmp_path, data, "child", fmt)
    out = tmp_path / "out" / "plan.md"
    out.parent.mkdir()
    result = _invoke(["plan", path, "-o", out])
    _assert_refused(result.exit_code, result.stderr, out, must_contain, path.name)
    assert result.stdout == ""


@pytest.mark.parametrize("case", ["age-as-string", "unknown-function", "adolescence-at-6", "score-13"])
def test_malformed_input_is_refused_by_a_real_process(tmp_path, case):
    data, must_contain = CASES[case]
    path = write_assessment(tmp_path, data, "child", "yaml")
    out = tmp_path / "plan.json"
    proc = run_cli("plan", path, "--format", "json", "-o", out)
    _assert_refused(proc.returncode, proc.stderr, out, must_contain, path.name)
    assert proc.stdout == ""


def test_unknown_function_suggestion_names_the_line(tmp_path):
    text = ("format: seqplan/assessment-1\n"
            "client:\n"
            "  id: C-1\n"
            "  age_years: 8\n"
            "assessed_on: '2026-01-05'\n"
            "functioning:\n"
            "  thermoregulation: 6\n"
            "  cardiovasculr: 4\n")
    path = write_assessment(tmp_path, text, "child")
    proc = run_cli("plan", path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{path.name}:8: functioning.cardiovasculr" in proc.stderr
    assert "did you mean 'cardiovascular'" in proc.stderr


# Syntax errors and files that are not an assessment mapping at all.
def _yaml_with_error():
    lines = ["format: seqplan/assessment-1", "client:", "  id: C-1", "  age_years: 8",
             "assessed_on: '2026-01-05'", "functioning:", "  sleep: 9: 3", "  cardiovascular: 4"]
    return "\n".join(lines) + "\n", 7


def _json_with_error():
    return '{\n  "format": "seqplan/assessment-1",\n  "client": {"id": "C-1", "age_years": 8},\n  "functioning": {"sleep": 9,}\n}\n', 4


@pytest.mark.parametrize("fmt,builder,kind", [("yaml", _yaml_with_error, "invalid YAML"),
                                                ("json", _json_with_error, "invalid JSON")])
def test_syntax_error_names_the_line(tmp_path, fmt, builder, kind):
    text, line = builder()
    path = write_assessment(tmp_path, text, "child", fmt)
    out = tmp_path / "plan.md"
    result = _invoke(["plan", path, "-o", out])
    _assert_refused(result.exit_code, result.stderr, out, [kind, f"{path.name}:{line}:"], path.name)


def test_tab_indentation_is_a_yaml_error_with_a_line(tmp_path):
    text = "format: seqplan/assessment-1\nclient:\n\tid: C-1\n"
    path = write_assessment(tmp_path, text, "child")
    proc = run_cli("plan", path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert re.search(rf"{re.escape(path.name)}:3: invalid YAML", proc.stderr), proc.stderr


@pytest.mark.parametrize("name,text", [
    ("empty.yaml", ""),
    ("blank.yaml", "\n   \n"),
    ("comments.yaml", "# nothing but a comment\n"),
    ("empty.json", ""),
    ("list.yaml", "- format: seqplan/assessment-1\n- client: {id: C-1}\n"),
    ("list.json", '[{"format": "seqplan/assessment-1"}]'),
    ("scalar.yaml", "just some words\n"),
])
def test_not_an_assessment_mapping(tmp_path, name, text):
    stem, fmt = name.split(".")
    path = write_assessment(tmp_path, text, stem, fmt)
    out = tmp_path / "plan.md"
    result = _invoke(["plan", path, "-o", out])
    _assert_refused(result.exit_code, result.stderr, out, [], path.name)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "child.yaml"
    path.write_bytes("format: seqplan/assessment-1\nclient: {id: Zo\u00eb, age_years: 8}\n".encode("latin-1"))
    out = tmp_path / "plan.md"
    result = _invoke(["plan", path, "-o", out])
    _assert_refused(result.exit_code, result.stderr, out, [], path.name)


def test_impossible_unquoted_yaml_date_is_an_input_error(tmp_path):
    """YAML reads an unquoted 2026-02-30 as a date and fails: that is the user's typo, not a crash."""
    text = ("format: seqplan/assessment-1\nclient:\n  id: C-1\n  age_years: 8\n"
            "assessed_on: 2026-02-30\nfunctioning:\n  sleep: 9\n")
    path = write_assessment(tmp_path, text, "child")
    out = tmp_path / "plan.md"
    proc = run_cli("plan", path, "-o", out)
    _assert_refused(proc.returncode, proc.stderr, out, ["assessed_on"], path.name)


def test_nonexistent_file(tmp_path):
    missing = tmp_path / "no-such-child.yaml"
    out = tmp_path / "plan.md"
    proc = run_cli("plan", missing, "-o", out)
    _assert_refused(proc.returncode, proc.stderr, out, [], missing.name)
    result = _invoke(["validate", missing])
    assert result.exit_code == 2
    assert missing.name in result.stderr and "Traceback" not in result.stderr


def test_library_raises_input_error_with_fields(tmp_path):
    """The library API raises the same InputError the CLI prints (file, field, problem)."""
    from planner.intake.assessment import from_data
    from planner.errors import InputError

    with pytest.raises(InputError) as caught:
        from_data(_mutated("functioning.sleep", 13), source="mem.yaml")
    assert caught.value.field == "functioning.sleep"
    assert str(caught.value).startswith("mem.yaml")
    assert caught.value.exit_code == 2


def test_valid_edge_values_are_accepted(tmp_path):
    """The boundaries the spec allows: age 25, scores 0 and 12, a period the child has reached."""
    from planner.intake.assessment import from_data

    data = make_assessment(brainstem=0, cortex=12, age=25,
                           history={p: {"adversity": 3, "relational_poverty": 0}
                                    for p in ("perinatal", "infancy", "early_childhood", "childhood", "adolescence")},
                           current={"relational_health": 0, "arousal": "terror"})
    assessment = from_data(data, source="edge.yaml")
    assert assessment.age_years == 25
    assert assessment.functioning["cardiovascular"] == 0
    young = from_data(make_assessment(age=0.1, history={"perinatal": {"adversity": 0, "relational_poverty": 0}}))
    assert young.age_years == 0.1


# ---- seqplan validate ------------------------------------------------------------------

def test_validate_lists_every_schema_problem(tmp_path):
    data = make_assessment()
    data["client"]["age_years"] = 0
    data["functioning"]["sleep"] = 13
    data["current"] = {"arousal": "panic"}
    path = write_assessment(tmp_path, data, "child")
    result = _invoke(["validate", path])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 3, result.stderr
    for field in ("client.age_years", "functioning.sleep", "current.arousal"):
        assert sum(field in line for line in lines) == 1, f"{field} not reported once: {result.stderr}"
    assert "valid" not in result.stdout


def test_validate_lists_catalogue_problems_alongside_schema_problems(tmp_path):
    """A file with a bad score and a misspelt function id: validate must name both."""
    data = make_assessment(age=6, history={"adolescence": {"adversity": 0, "relational_poverty": 0}})
    data["functioning"]["sleep"] = 13
    data["functioning"]["cardiovasculr"] = data["functioning"].pop("cardiovascular")
    path = write_assessment(tmp_path, data, "child")
    result = _invoke(["validate", path])
    assert result.exit_code == 2
    for field in ("functioning.sleep", "functioning.cardiovasculr", "history.adolescence"):
        assert field in result.stderr, f"{field} not reported: {result.stderr!r}"
    assert len(result.stderr.splitlines()) == 3


def test_validate_lists_every_catalogue_problem(tmp_path):
    data = make_assessment(age=6, history={"adolescence": {"adversity": 0, "relational_poverty": 0}})
    data["functioning"]["cardiovasculr"] = data["functioning"].pop("cardiovascular")
    data["functioning"]["slepe"] = data["functioning"].pop("sleep")
    path = write_assessment(tmp_path, data, "child")
    proc = run_cli("validate", path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 3, proc.stderr
    assert any("functioning.cardiovasculr" in l and "did you mean 'cardiovascular'" in l for l in lines)
    assert any("functioning.slepe" in l and "did you mean 'sleep'" in l for l in lines)
    assert any("history.adolescence" in l for l in lines)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_validate_accepts_a_valid_file(tmp_path, fmt):
    path = write_assessment(tmp_path, make_assessment(name="Sam", current={"arousal": "calm"}), "child", fmt)
    result = _invoke(["validate", path])
    assert result.exit_code == 0, result.stderr
    assert "valid" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES_DIR.glob("*.yaml")))
def test_validate_accepts_the_bundled_examples(example):
    """`seqplan plan` accepts the bundled examples, so `seqplan validate` must too
    (they write assessed_on as a plain YAML date, as the spec's own example does)."""
    proc = run_cli("validate", EXAMPLES_DIR / example)
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout


def test_validate_agrees_with_plan_on_unquoted_dates(tmp_path):
    text = ("format: seqplan/assessment-1\nclient:\n  id: C-1\n  age_years: 8\n"
            "assessed_on: 2026-01-05\nfunctioning:\n  sleep: 9\n  cardiovascular: 7\n")
    path = write_assessment(tmp_path, text, "child")
    plan = _invoke(["plan", path])
    assert plan.exit_code == 0, plan.stderr
    validate = _invoke(["validate", path])
    assert validate.exit_code == 0, validate.stderr


def test_validate_names_each_missing_top_level_field_once(tmp_path):
    """Issue 22: with client, assessed_on and functioning all missing, `client` was named
    three times and the other two never."""
    path = write_assessment(tmp_path, "format: seqplan/assessment-1\n", "child")
    result = _invoke(["validate", path])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 3, result.stderr
    for field in ("client", "assessed_on", "functioning"):
        assert sum(f": {field}: required field is missing (add '{field}')" in line for line in lines) == 1, \
            result.stderr


def test_a_blank_template_asks_only_for_what_must_be_filled_in(tmp_path):
    """Issue 22: the blank YAML template failed with 35 'got null' errors, one per function,
    while an empty CSV cell means "not rated". A blank rating is not rated; the blank
    required fields say to fill them in (docs/assessment-fields.md)."""
    path = tmp_path / "child.yaml"
    path.write_text(_invoke(["template"]).stdout, encoding="utf-8")
    result = _invoke(["validate", path])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert [line.split(": ")[-2:] for line in lines] == [
        ["client.id", "is empty (fill it in)"], ["client.age_years", "is empty (fill it in)"],
        ["assessed_on", "is empty (fill it in)"],
        ["functioning", "no function is rated (give at least one function a rating)"]], result.stderr
    text = path.read_text("utf-8")
    for field, value in (("id", "C-7"), ("age_years", "6"), ("assessed_on", "2026-11-02"), ("sleep", "4")):
        text = re.sub(rf"^(\s*{field}:)", rf"\g<1> {value}", text, count=1, flags=re.M)
    path.write_text(text, encoding="utf-8")
    assert _invoke(["validate", path]).exit_code == 0
    plan = _invoke(["plan", path, "--format", "json"])
    assert plan.exit_code == 0, plan.stderr
    rated = {f["id"]: f["score"] for r in json.loads(plan.stdout)["regions"] for f in r["functions"]}
    assert rated["sleep"] == 4 and rated["attachment"] is None


def test_a_history_period_the_child_has_not_reached_says_the_rule(tmp_path):
    """Issue 22: the rule was documented nowhere; the message now states it."""
    path = write_assessment(tmp_path, _with_history(3, "childhood"), "child")
    result = _invoke(["validate", path])
    assert result.exit_code == 2
    assert "history.childhood: history may only cover periods the child has reached" in result.stderr
    assert "(it starts at 4 years)" in result.stderr
