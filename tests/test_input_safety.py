"""Input that could silently change or forge a plan: duplicate keys, markup in names and
notes, a barely rated assessment, and a stored plan that was edited."""
from pathlib import Path
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


# --- The reproducers of issue 13 ("Why"), each kept as a regression case --------------------

import os  # noqa: E402
import stat  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402

VALID_YAML = yaml.safe_dump(make_assessment(brainstem=4), sort_keys=False)


def _with(line_from, line_to):
    assert line_from in VALID_YAML
    return VALID_YAML.replace(line_from, line_to, 1)


def _json_text(**change):
    data = make_assessment(brainstem=4)
    data["client"].update(change)
    return json.dumps(data)


# name -> (file suffix, file bytes, words the one-line error must contain)
CORPUS = {
    "octal score": (".yaml", _with("cardiovascular: 4", "cardiovascular: 010"), "functioning.cardiovascular: '010'"),
    "hex score": (".yaml", _with("cardiovascular: 4", "cardiovascular: 0x0A"), "'0x0A' is not a plain decimal"),
    "underscore score": (".yaml", _with("cardiovascular: 4", "cardiovascular: 1_1"), "'1_1'"),
    "octal age": (".yaml", _with("age_years: 9.5", "age_years: 012"), "client.age_years: '012'"),
    "exponent age": (".yaml", _with("age_years: 9.5", "age_years: 0.00001"), "client.age_years: 1e-05"),
    "exponent age json": (".json", _json_text(age_years=1e-5), "client.age_years: 1e-05"),
    "nan age json": (".json", _json_text().replace('"age_years": 9.5', '"age_years": NaN'), "'NaN'"),
    "4300-digit score": (".yaml", _with("cardiovascular: 4", "cardiovascular: " + "9" * 4300),
                         "is not a plain decimal number"),
    "date with a line break": (".yaml", _with("assessed_on: '2026-11-02'", 'assessed_on: "2026-02-30\\n"'),
                               "assessed_on: '2026-02-30\\n' is not an ISO date"),
    "alias bomb": (".yaml", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                            "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                            "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n", "alias"),
    "recursive alias": (".yaml", "a: &a [*a]\n", "alias"),
    "unhashable key": (".yaml", "? [a]\n: 1\n", "key that is not plain text"),
    "deep nesting": (".yaml", "a: " + "[" * 500 + "]" * 500 + "\n", "nested more than"),
    "deep nesting json": (".json", "[" * 100_000 + "]" * 100_000, "nested more than"),
    "lone surrogate": (".json", _json_text(name="Sam X").replace("Sam X", "Sam \\ud83d"), "lone UTF-16 surrogate"),
    "lone surrogate in yaml": (".yaml", _with("age_years: 9.5", 'name: "Sam \\ud83d"\n  age_years: 9.5'),
                               "child.yaml:4: "),
    "python tag": (".yaml", "a: !!python/object/apply:os.system [id]\n", "uses the tag"),
    "newline in a key": (".json", _json_text().replace('"client"', '"cli\\nent\\u001b[31m"', 1), "cli\\nent\\x1b[31m"),
    "not utf-8": (".yaml", b"format: seqplan/assessment-1\nclient: {id: \xff}\n", ":2: is not UTF-8 text"),
}


def _one_line_refusal(result, words, out, every_problem=False):
    """plan: one line; validate (every_problem): one line per problem, the first naming it."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 or every_problem, result.stderr
    assert all(line.startswith("seqplan: error: ") for line in lines), result.stderr
    assert words in lines[0], lines[0]
    assert "Traceback" not in result.output and not out.exists()
    assert "\x1b" not in result.stderr


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_reproducer_of_the_probe_is_one_line_exit_2_and_no_file(tmp_path, name):
    suffix, content, words = CORPUS[name]
    path = tmp_path / f"child{suffix}"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    out = tmp_path / "plan.json"
    for command in (["plan", str(path), "--format", "json", "-o", str(out)], ["validate", str(path)]):
        _one_line_refusal(CliRunner().invoke(main_cli(), command), words, out, command[0] == "validate")


def main_cli():
    from planner.cli import main
    return main


def test_a_tiny_exponent_age_never_reaches_the_engine_through_the_library(tmp_path):
    """It used to segfault durable-rules' C core (exit 139) and kill a host process."""
    # The assessment goes in as JSON (1e-05 reads back as the same float): the child process
    # imports only the installed planner, not this checkout's tests package.
    code = ("import json, sys\nfrom planner import api\nfrom planner.errors import InputError\n"
            "try:\n    api.plan_data(json.loads(sys.argv[1]))\nexcept InputError as e:\n"
            "    print('refused', e)\n")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(make_assessment(age=0.00001))],
                          capture_output=True, text=True, timeout=120, cwd=EXAMPLES_DIR.parent)
    assert proc.returncode == 0, proc.stderr[-800:]
    assert proc.stdout.startswith("refused") and "client.age_years" in proc.stdout


def test_yaml_1_1_words_are_text_not_booleans(tmp_path):
    data = make_assessment(brainstem=4)
    data["context"] = {"interests": ["music"], "avoid": ["yes"], "team": ["on", "teacher"]}
    text = yaml.safe_dump(data, sort_keys=False).replace("'yes'", "yes").replace("'on'", "on")
    assert "- yes" in text
    result = CliRunner().invoke(main_cli(), ["plan", str(write_assessment(tmp_path, text)), "--format", "json"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_byte_order_mark_is_accepted_in_yaml_and_json(tmp_path, suffix):
    data = make_assessment(brainstem=4)
    text = json.dumps(data) if suffix == ".json" else yaml.safe_dump(data)
    plain, bom = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    plain.write_text(text, encoding="utf-8")
    bom.write_text(text, encoding="utf-8-sig")
    a = CliRunner().invoke(main_cli(), ["plan", str(plain), "--format", "json"])
    b = CliRunner().invoke(main_cli(), ["plan", str(bom), "--format", "json"])
    assert a.exit_code == 0 and b.exit_code == 0, b.output
    assert a.stdout == b.stdout


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "fifo", "loop", "big"])
def test_inputs_that_are_not_regular_files_or_too_big_are_refused_at_once(tmp_path, device):
    path = device
    if device == "fifo":
        path = tmp_path / "child.yaml"
        os.mkfifo(path)                       # nobody writes: reading would wait for ever
    elif device == "loop":
        path = tmp_path / "child.yaml"
        os.symlink(tmp_path / "other.yaml", tmp_path / "other.yaml")
        os.symlink(tmp_path / "other.yaml", path)
    elif device == "big":
        path = tmp_path / "child.yaml"
        path.write_text(VALID_YAML + "# padding\n" * 600_000)
    out = tmp_path / "plan.md"
    proc = run_cli("plan", path, "-o", out)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert not out.exists()
    if device == "big":
        assert "larger than 4 MB" in proc.stderr


def test_an_unreadable_input_is_one_line_not_a_usage_error(tmp_path):
    """Root reads any file, and CI runs as root: there the command runs without the two
    capabilities that let root ignore a file's mode (setpriv, util-linux), so a file of
    mode 000 is as unreadable to it as to anyone."""
    import shutil

    path = write_assessment(tmp_path, make_assessment())
    path.chmod(0)
    command = [sys.executable, "-m", "planner.cli", "plan", str(path)]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv (util-linux): every file is readable")
        caps = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", *command]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "permission denied" in proc.stderr, proc.stderr


def test_json_with_an_emoji_written_by_python_is_read_the_same_as_yaml(tmp_path):
    """json.dumps writes an emoji as a surrogate pair escape; saved as .yaml it used to crash."""
    data = make_assessment(brainstem=4, name="Sam \U0001F600")
    as_json = write_assessment(tmp_path, json.dumps(data), "child", "json")
    as_yaml = write_assessment(tmp_path, json.dumps(data), "child", "yaml")
    a = CliRunner().invoke(main_cli(), ["plan", str(as_json), "--format", "json"])
    b = CliRunner().invoke(main_cli(), ["plan", str(as_yaml), "--format", "json"])
    assert a.exit_code == 0 and b.exit_code == 0, b.output
    assert json.loads(b.stdout)["client"]["name"] == "Sam \U0001F600"
    assert a.stdout == b.stdout


# --- Redaction -----------------------------------------------------------------------------

def _private(name):
    data = make_assessment(brainstem=4, name=name)
    data["assessor"] = f"Dr {name}son"
    data["context"] = {"interests": ["music"], "notes": f"{name} lives with an aunt on Elm Street"}
    return data


@pytest.mark.parametrize("command", [["plan", "--format", "md"], ["plan", "--format", "json"],
                                     ["plan", "--format", "html"], ["plan", "--audience", "auditor"], ["map"]])
def test_redacted_output_holds_no_name_notes_or_assessor_and_nothing_to_recover_them(tmp_path, command):
    """Two children who differ only in what --redact withholds get byte-identical redacted
    outputs: no digest or field is left from which a name could be recovered by trying."""
    outputs = []
    for name in ("Robin", "Sam"):
        path = write_assessment(tmp_path, _private(name), name, "yaml")
        result = CliRunner().invoke(main_cli(), [command[0], str(path), *command[1:], "--redact"])
        assert result.exit_code == 0, result.output
        for secret in (name, f"Dr {name}son", "Elm Street"):
            assert secret not in result.stdout
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]


def test_a_redacted_plan_says_what_was_withheld_and_still_audits(tmp_path):
    path = write_assessment(tmp_path, _private("Robin"), "child", "yaml")
    md = CliRunner().invoke(main_cli(), ["plan", str(path), "--redact"]).stdout
    assert "notes withheld" in md
    out = tmp_path / "plan.json"
    assert CliRunner().invoke(main_cli(), ["plan", str(path), "--format", "json", "--redact", "-o", str(out)]).exit_code == 0
    stored = json.loads(out.read_text())
    assert stored["redacted"] == ["name", "assessor", "notes"]
    assert "assessor" not in json.dumps(stored["assessor"] or "") and stored["context_notes"] is None
    audit = CliRunner().invoke(main_cli(), ["audit", str(out), str(path)])
    assert audit.exit_code == 0 and audit.stdout.startswith("reproduced"), audit.stdout
    plain = json.loads(CliRunner().invoke(main_cli(), ["plan", str(path), "--format", "json"]).stdout)
    assert "redacted" not in plain and plain["input_digest"] != stored["input_digest"]


# --- Audit compares content, in order -------------------------------------------------------

def _stored_plan(tmp_path, example="teen-cortical"):
    source = EXAMPLES_DIR / f"{example}.yaml"
    out = tmp_path / "plan.json"
    assert CliRunner().invoke(main_cli(), ["plan", str(source), "--format", "json", "-o", str(out)]).exit_code == 0
    return out, source


def _audit(plan, source):
    return CliRunner().invoke(main_cli(), ["audit", str(plan), str(source)])


def test_audit_reports_two_swapped_steps_not_a_reformatting(tmp_path):
    out, source = _stored_plan(tmp_path)
    stored = json.loads(out.read_text())
    stored["steps"][0], stored["steps"][1] = stored["steps"][1], stored["steps"][0]
    out.write_text(json.dumps(stored, indent=2, ensure_ascii=False) + "\n")
    result = _audit(out, source)
    assert result.exit_code == 1
    assert "~ steps: S1 and S2 swapped" in result.stdout
    assert "reformatted" not in result.stdout


@pytest.mark.parametrize("reformat", [
    lambda text: json.dumps(json.loads(text)),                                # one line, as a database stores it
    lambda text: json.dumps(json.loads(text), indent=4, sort_keys=True),      # a pretty-printer
])
def test_audit_of_a_content_equal_reformatted_plan_reproduces_with_a_note(tmp_path, reformat):
    out, source = _stored_plan(tmp_path)
    out.write_text(reformat(out.read_text()))
    result = _audit(out, source)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("reproduced (formatting differs)")


def test_audit_of_a_crlf_copy_says_so_instead_of_a_plain_reproduced(tmp_path):
    out, source = _stored_plan(tmp_path)
    out.write_bytes(out.read_bytes().replace(b"\n", b"\r\n"))
    result = _audit(out, source)
    assert result.exit_code == 0
    assert result.stdout.startswith("reproduced (formatting differs)") and "CRLF" in result.stdout


@pytest.mark.parametrize("retype", [str, float])
def test_audit_of_a_number_of_another_type_is_not_reproduced(tmp_path, retype):
    """"8" or 8.0 where seqplan wrote 8: a changed value, never "formatting"."""
    out, source = _stored_plan(tmp_path)
    stored = json.loads(out.read_text())
    stored["review"]["weeks"] = retype(stored["review"]["weeks"])
    out.write_text(json.dumps(stored, indent=2))
    result = _audit(out, source)
    assert result.exit_code == 1 and result.stdout.startswith("not reproduced"), result.stdout


def test_audit_shows_control_characters_from_a_tampered_plan_escaped(tmp_path):
    out, source = _stored_plan(tmp_path)
    stored = json.loads(out.read_text())
    stored["review"]["\x1b[2J\nreproduced"] = "x"
    out.write_text(json.dumps(stored))
    result = _audit(out, source)
    assert result.exit_code == 1 and "\x1b" not in result.stdout
    assert not any(line.startswith("reproduced") for line in result.stdout.splitlines())


def test_a_flood_of_unknown_ids_is_listed_then_counted(tmp_path):
    """20,000 unknown function ids: the first 200 problems, then one line counting the rest
    (each used to get a fuzzy "did you mean", a comparison with the whole catalogue)."""
    import yaml

    from tests.conftest import run_cli

    data = yaml.safe_load((Path(__file__).resolve().parent.parent / "examples" / "teen-cortical.yaml").read_text())
    data["functioning"].update({f"zz_unknown_{n}": 5 for n in range(20_000)})
    path = tmp_path / "flood.yaml"
    path.write_text(yaml.safe_dump(data))
    result = run_cli("validate", str(path))
    lines = result.stderr.splitlines() or result.stdout.splitlines()
    assert result.returncode == 2 and len(lines) == 201
    assert lines[-1].endswith("and 19800 more problems (fix the ones above and validate again)")


@pytest.mark.parametrize("field, length, limit", [("id", 229, 100), ("name", 5000, 200)])
def test_a_client_id_or_name_too_long_is_one_line_that_does_not_repeat_it(tmp_path, field, length, limit):
    """A 229-character id named an output file the system refuses (batch ended in a
    traceback); the message never repeats the value (it may be a name, under --redact)."""
    data = make_assessment()
    data["client"][field] = "Z" * length
    for args in (("plan",), ("batch", "-o", str(tmp_path / "out"))):
        result = run_cli(*args[:1], write_assessment(tmp_path, data), *args[1:], "--redact")
        assert result.returncode == (2 if args[0] == "plan" else 1), result.stderr   # batch: 1 when any failed
        assert f"client.{field}: is {length} characters long (shorten it to at most {limit})" in result.stderr
        assert "ZZZ" not in result.stderr and "Traceback" not in result.stderr
