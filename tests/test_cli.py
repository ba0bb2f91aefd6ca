"""The `seqplan` command as a user meets it: help, examples, output files, redaction, version."""
from __future__ import annotations

import json
import shutil
import tomllib

import click
import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import EXAMPLE_NAMES, EXAMPLES_DIR, KB_DIR, ROOT, make_assessment, run_cli, write_assessment
from planner import __version__
from planner.cli import main


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}")
    return result


def _commands(group, prefix=()):
    """Every command path of the CLI, groups included: ('plan',), ('kb', 'check'), ..."""
    out = []
    for name, command in sorted(group.commands.items()):
        out.append(prefix + (name,))
        if isinstance(command, click.Group):
            out.extend(_commands(command, prefix + (name,)))
    return out


COMMANDS = _commands(main)


def test_the_cli_has_the_documented_commands():
    assert {("plan",), ("validate",), ("examples",)} <= set(COMMANDS)


@pytest.mark.parametrize("path", [()] + COMMANDS, ids=lambda p: " ".join(p) or "seqplan")
def test_help_works_and_shows_an_example(path):
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert "Example" in result.output, f"`seqplan {' '.join(path)} --help` shows no example"
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Example"))
    assert any(line.strip().startswith("seqplan") for line in lines[start + 1:start + 4]), (
        "the example is not a seqplan command line")


def test_short_help_flag():
    assert invoke("-h").exit_code == 0


ENGINE_AND_DATABASE = ("durable",                # durable-rules: durable, durable_rules_engine (its C core)
                       "planner.reasoning",      # seqplan's engine (planner/reasoning/engine.py) and compiler
                       "sqlalchemy", "alembic")  # the case record's database stack


def test_help_does_not_load_the_rule_engine():
    """`seqplan --help` stays fast: it imports neither the rule engine (seqplan's engine
    module, or durable-rules, whose C core planner/reasoning/engine.py imports as
    `durable_rules_engine`) nor the case record's database stack. The check prints the
    modules it finds, so a failure names them (it failed, as it must, with either
    `import planner.reasoning.engine` or `import durable_rules_engine` added to cli.py)."""
    import subprocess
    import sys

    code = ("import sys\nfrom planner.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in sys.modules if m.startswith({ENGINE_AND_DATABASE!r})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Usage:" in proc.stdout, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]", proc.stdout.splitlines()[-1]


def test_examples_lists_the_bundled_examples():
    result = invoke("examples")
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    names = [line.split()[0] for line in lines]
    assert sorted(names) == sorted(EXAMPLE_NAMES)
    assert sorted(names) == sorted(p.stem for p in EXAMPLES_DIR.glob("*.yaml"))
    for line in lines:
        assert len(line.split(None, 1)) == 2, f"example without a description: {line!r}"


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_plan_an_example_from_another_directory(tmp_path, name):
    expected_id = yaml.safe_load((EXAMPLES_DIR / f"{name}.yaml").read_text())["client"]["id"]
    md = run_cli("plan", "--example", name, cwd=tmp_path)
    assert md.returncode == 0, md.stderr
    assert md.stderr == ""
    assert expected_id in md.stdout
    js = run_cli("plan", "--example", name, "--format", "json", cwd=tmp_path)
    assert js.returncode == 0, js.stderr
    plan = json.loads(js.stdout)
    assert plan["client"]["id"] == expected_id
    assert plan["steps"], f"the bundled example {name} plans no step"
    assert list(tmp_path.iterdir()) == [], "planning to stdout wrote files into the working directory"


def test_unknown_example_suggests_the_closest(tmp_path):
    result = invoke("plan", "--example", "teen-cortcal")
    assert result.exit_code == 2
    assert "teen-cortical" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_file_and_example_together_are_refused(tmp_path):
    path = write_assessment(tmp_path, make_assessment(), "child")
    result = invoke("plan", path, "--example", "teen-cortical")
    assert result.exit_code == 2
    assert result.stderr.strip()


def test_plan_needs_an_assessment():
    result = invoke("plan")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_output_file_is_written_and_nothing_printed(tmp_path, fmt):
    path = write_assessment(tmp_path, make_assessment(brainstem=5, name="Sam"), "child")
    out = tmp_path / f"plan.{fmt}"
    result = invoke("plan", path, "--format", fmt, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""
    assert out.is_file()
    to_stdout = invoke("plan", path, "--format", fmt)
    assert out.read_text(encoding="utf-8") == to_stdout.stdout
    if fmt == "json":
        json.loads(out.read_text(encoding="utf-8"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["child.yaml", out.name]), "temporary files left"


def test_output_file_replaces_an_existing_file(tmp_path):
    path = write_assessment(tmp_path, make_assessment(), "child")
    out = tmp_path / "plan.md"
    out.write_text("old plan\n")
    assert invoke("plan", path, "-o", out).exit_code == 0
    assert "old plan" not in out.read_text()


def test_output_into_a_missing_directory_is_a_one_line_error(tmp_path):
    path = write_assessment(tmp_path, make_assessment(), "child")
    out = tmp_path / "no-such-dir" / "plan.md"
    proc = run_cli("plan", path, "-o", out)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "no-such-dir" in proc.stderr


@pytest.mark.parametrize("how", ["same-path", "relative", "dot-segments", "symlink"])
def test_output_over_the_input_is_refused(tmp_path, how, monkeypatch):
    path = write_assessment(tmp_path, make_assessment(brainstem=4), "child")
    before = path.read_bytes()
    monkeypatch.chdir(tmp_path)
    given, out = path, path
    if how == "relative":
        given, out = path, "child.yaml"
    elif how == "dot-segments":
        out = tmp_path / "." / "sub" / ".." / "child.yaml"
        (tmp_path / "sub").mkdir()
    elif how == "symlink":
        link = tmp_path / "link.yaml"
        link.symlink_to(path)
        given = link
    result = invoke("plan", given, "-o", out)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert path.read_bytes() == before, "the input file was changed"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_output_over_the_input_is_refused_by_a_real_process(tmp_path):
    path = write_assessment(tmp_path, make_assessment(), "child", "json")
    before = path.read_bytes()
    proc = run_cli("plan", path, "--format", "json", "-o", path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_redact_removes_the_client_name(tmp_path, fmt):
    name = "Zebedee"
    path = write_assessment(tmp_path, make_assessment(brainstem=4, limbic=6, name=name, client_id="C-0142"),
                            "child")
    shown = invoke("plan", path, "--format", fmt)
    assert shown.exit_code == 0
    assert name in shown.stdout, "the name should appear when not redacted"
    redacted = invoke("plan", path, "--format", fmt, "--redact")
    assert redacted.exit_code == 0, redacted.stderr
    assert name not in redacted.stdout
    assert "C-0142" in redacted.stdout, "the pseudonymous id stays"
    if fmt == "json":
        assert "name" not in json.loads(redacted.stdout)["client"]


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_redact_the_bundled_example(tmp_path, fmt):
    name = yaml.safe_load((EXAMPLES_DIR / "teen-cortical.yaml").read_text())["client"]["name"]
    out = tmp_path / f"plan.{fmt}"
    proc = run_cli("plan", "--example", "teen-cortical", "--format", fmt, "--redact", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert name not in out.read_text(encoding="utf-8")


def test_the_version_is_set_in_one_place_and_has_a_changelog_entry():
    """planner.version.__version__ is the version: pyproject.toml reads it (and states none of its
    own), and CHANGELOG.md has an entry for it, so a release cannot skip either."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "planner.version.__version__"}
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert f"\n## {__version__} (" in changelog, f"CHANGELOG.md has no entry for {__version__}"


def test_version_option_says_the_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout
    proc = run_cli("--version")
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_version_is_stamped_on_the_plan():
    result = invoke("plan", "--example", "middle-limbic", "--format", "json")
    assert json.loads(result.stdout)["seqplan_version"] == __version__


def test_console_script_entry_point():
    ep = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["seqplan"]
    assert ep == "planner.cli:main"


def test_kb_option_plans_with_a_copy_of_the_knowledge_base(tmp_path):
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    default = invoke("plan", "--example", "middle-limbic", "--format", "json")
    other = invoke("plan", "--example", "middle-limbic", "--format", "json", "--kb", copy)
    assert other.exit_code == 0, other.stderr
    a, b = json.loads(default.stdout), json.loads(other.stdout)
    assert a["kb"]["digest"] == b["kb"]["digest"]
    assert a["steps"] == b["steps"]


def test_kb_option_with_a_missing_directory(tmp_path):
    result = invoke("plan", "--example", "middle-limbic", "--kb", tmp_path / "nothing-here")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_api_plan_file_matches_the_cli(tmp_path):
    from planner.api import plan_file, validate_file

    path = write_assessment(tmp_path, make_assessment(diencephalon=6, name="Sam"), "child")
    assert plan_file(path, "md") == invoke("plan", path).stdout
    assert "Sam" not in plan_file(path, "json", redact=True)
    assert validate_file(path) == []


def test_public_library_api(tmp_path):
    """The documented library entry points give the same plan as the command."""
    from planner import load_assessment, load_knowledge_base, make_plan, render_plan

    path = write_assessment(tmp_path, make_assessment(brainstem=5, limbic=7, client_id="LIB-1"), "child")
    kb = load_knowledge_base()
    assert load_knowledge_base() is kb, "the knowledge base is loaded once and cached"
    plan = make_plan(load_assessment(path), kb)
    assert json.loads(render_plan(plan, "json"))["client"]["id"] == "LIB-1"
    assert render_plan(plan, "md") == invoke("plan", path).stdout
    assert render_plan(make_plan(load_assessment(path)), "json") == invoke("plan", path, "--format", "json").stdout


def test_audit_refuses_a_stored_plan_with_a_key_written_twice(tmp_path):
    """A forged value first and the genuine one last (json.loads keeps the last) must not pass as
    'reproduced': the stored plan is refused, naming the key."""
    from click.testing import CliRunner

    from planner.cli import main

    runner = CliRunner()
    plan = runner.invoke(main, ["plan", "--example", "teen-cortical", "--format", "json"]).output
    forged = plan.replace('"client": {', '"client": {"id": "SOMEONE-ELSE", ', 1)
    path = tmp_path / "plan.json"
    path.write_text(forged, encoding="utf-8")
    result = runner.invoke(main, ["audit", str(path), "teen-cortical"])
    assert result.exit_code == 2 and "id: is written twice" in result.output, result.output


def test_audit_sees_a_boolean_written_as_a_number(tmp_path):
    from click.testing import CliRunner

    from planner.cli import main

    runner = CliRunner()
    plan = runner.invoke(main, ["plan", "--example", "teen-cortical", "--format", "json"]).output
    assert '"blocked": false' in plan
    path = tmp_path / "plan.json"
    path.write_text(plan.replace('"blocked": false', '"blocked": 0.0', 1), encoding="utf-8")
    result = runner.invoke(main, ["audit", str(path), "teen-cortical"])
    assert result.exit_code == 1 and "not reproduced" in result.output, result.output
