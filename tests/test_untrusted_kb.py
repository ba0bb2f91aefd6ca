"""A knowledge base someone else wrote must not run code, hang, or crash the engine:
its templates are sandboxed and limited to what a justification needs, and the loader
refuses files and layouts that would break the process, each with one line."""
import copy
from pathlib import Path
import re
import os
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main


def set_because(kb_dir, rule_id, text):
    for path in sorted((kb_dir / "rules").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for rule in data["rules"]:
            if rule["id"] == rule_id:
                rule["because"] = text
                path.write_text(yaml.safe_dump(data, sort_keys=False))
                return
    raise AssertionError(rule_id)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("seqplan: error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("template", [
    "{{ cycler.__init__.__globals__.os.popen('touch PWNED').read() }}",
    "{{ label.__globals__ }}",
    "{{ score.__class__.__mro__ }}",
    "{{ params.__class__ }}",
    "{% for i in range(10**12) %}x{% endfor %}",
    "{{ 'x' * 10**9 }}",
    "{{ (9 ** 9 ** 9) }}",
    "{{ lipsum(10**6) }}",
    "{% set x = 1 %}{{ x }}",
    "{{ params['band_mild_min'] }}",
    "{{ score.function | attr('__class__') }}",
    "{{ dose_summary.__call__('x') }}",
])
def test_a_template_reaching_beyond_its_facts_is_refused_by_kb_check_and_plan(kb_copy, tmp_path, template,
                                                                           monkeypatch):
    monkeypatch.chdir(tmp_path)
    set_because(kb_copy, "BAND-001", template)
    for args in (("kb", "check", "--kb", kb_copy), ("plan", "--example", "teen-cortical", "--kb", kb_copy)):
        line = one_line_error(run(*args))
        assert "BAND-001: because" in line
    assert not (tmp_path / "PWNED").exists()


def test_the_sandbox_itself_refuses_internals_even_past_the_load_check():
    """Defence in depth: the environment that renders has no globals and blocks _attributes."""
    import jinja2.sandbox

    from planner.kb.explain import sandbox

    env = sandbox()
    assert env.globals == {}
    with pytest.raises(jinja2.exceptions.UndefinedError):
        env.from_string("{{ cycler }}").render()
    with pytest.raises(jinja2.sandbox.SecurityError):
        env.from_string("{{ x.__class__ }}").render(x="a")
    with pytest.raises(jinja2.sandbox.SecurityError):
        env.from_string("{{ 'x' * n }}").render(n=10**9)


def test_the_bundled_templates_still_render_with_their_helpers():
    result = run("plan", "--example", "young-child-brainstem")
    assert result.exit_code == 0
    assert "{{" not in result.output and "Why:" in result.output


def _write(kb_dir, rel, text):
    (kb_dir / rel).write_text(text)


def test_a_non_utf8_knowledge_base_file_is_one_line(kb_copy):
    (kb_copy / "rules" / "dose.yaml").write_bytes(b"rules:\n  - id: \xff\xfe\n")
    line = one_line_error(run("kb", "check", "--kb", kb_copy))
    assert "dose.yaml" in line and "UTF-8" in line


def test_a_directory_where_a_rule_file_should_be_is_one_line(kb_copy):
    (kb_copy / "rules" / "extra.yaml").mkdir()
    line = one_line_error(run("kb", "check", "--kb", kb_copy))
    assert "extra.yaml" in line and "directory" in line


def test_an_exponent_form_parameter_is_refused_before_it_reaches_the_engine(kb_copy):
    path = kb_copy / "parameters.yaml"
    text = path.read_text()
    data = yaml.safe_load(text)
    data["parameters"][0]["value"] = 0.00001
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    line = one_line_error(run("kb", "check", "--kb", kb_copy))
    assert "parameters.yaml" in line and "1e-05" in line


def test_an_octal_looking_parameter_is_refused_not_read_as_octal(kb_copy):
    path = kb_copy / "parameters.yaml"
    data = yaml.safe_load(path.read_text())
    pid = data["parameters"][0]["id"]
    text = path.read_text()
    value = data["parameters"][0]["value"]
    text = text.replace(f"value: {value}\n", "value: 010\n", 1)
    assert "value: 010" in text, pid
    path.write_text(text)
    line = one_line_error(run("kb", "check", "--kb", kb_copy))
    assert "'010' is not a plain decimal number" in line


def test_too_many_rules_in_one_layer_is_refused_before_the_engine_aborts(kb_copy):
    """About 128 rules sharing the layer test abort the process in durable-rules."""
    path = kb_copy / "rules" / "dose.yaml"
    data = yaml.safe_load(path.read_text())
    template = data["rules"][0]
    data["rules"] = [dict(copy.deepcopy(template), id=f"DOSE-{n:03d}") for n in range(1, 131)]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    proc = subprocess.run([sys.executable, "-m", "planner.cli", "plan", "--example", "teen-cortical",
                           "--kb", str(kb_copy)], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ))
    assert proc.returncode == 2, proc.stderr[-500:]
    # the 130 copies, plus the dose-layer rules other rule files hold
    assert len(proc.stderr.splitlines()) == 1 and re.search(r"layer 'dose' has 1[3-9]\d active rules", proc.stderr)


def test_the_parsed_knowledge_base_cache_is_keyed_and_a_damaged_one_is_ignored(tmp_path, kb_copy):
    """The cache (parsed files, keyed by the knowledge base's digest) never changes a plan:
    a damaged entry is ignored, and an edited knowledge base is parsed afresh."""
    from tests.conftest import run_cli

    env = {"SEQPLAN_CACHE_DIR": str(tmp_path / "cache")}
    args = ("plan", "--example", "teen-cortical", "--format", "json", "--kb", kb_copy)
    first = run_cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    entries = list((tmp_path / "cache").glob("kb-*.json"))
    assert len(entries) == 1 and (entries[0].stat().st_mode & 0o077) == 0
    assert run_cli(*args, env=env).stdout == first.stdout
    entries[0].write_bytes(entries[0].read_bytes()[:-200])                 # a truncated write
    assert run_cli(*args, env=env).stdout == first.stdout
    set_because(kb_copy, "BAND-001", "{{ x.__class__ }}")
    edited = run_cli(*args, env=env)
    assert edited.returncode == 2 and "BAND-001" in edited.stderr
    # Only a knowledge base that passed every check is cached (with its checked templates),
    # so the refused one is refused again, not served from the cache.
    assert len(list((tmp_path / "cache").glob("kb-*.json"))) == 1
    again = run_cli(*args, env=env)
    assert again.returncode == 2 and again.stderr == edited.stderr


def test_a_poisoned_cache_entry_is_rebuilt_never_used(tmp_path):
    """An entry rewritten with a recomputed checksum (the attack on the old plain sha256)
    fails the HMAC under this user's key, so the plan is made from the real files."""
    import hashlib
    import json

    from tests.conftest import run_cli

    cache = tmp_path / "cache"
    env = {"SEQPLAN_CACHE_DIR": str(cache)}
    args = ("plan", "--example", "teen-cortical", "--format", "json")
    genuine = run_cli(*args, env=env)
    assert genuine.returncode == 0 and (cache / ".key").stat().st_mode & 0o777 == 0o600
    entry = next(cache.glob("kb-*.json"))
    header, _, payload = entry.read_bytes().partition(b"\n")
    data = json.loads(payload)
    for parameter in data["files"]["parameters.yaml"]["parameters"]:
        if isinstance(parameter["value"], (int, float)) and not isinstance(parameter["value"], bool):
            parameter["value"] = parameter["value"] + 5          # every threshold moved
    forged = json.dumps(data).encode()
    head = json.loads(header)
    head["sha256"] = hashlib.sha256(forged).hexdigest()
    entry.write_bytes(json.dumps(head).encode() + b"\n" + forged)
    again = run_cli(*args, env=env)
    assert again.stdout == genuine.stdout and again.stderr == ""
    assert entry.read_bytes().partition(b"\n")[2] != forged      # rebuilt from the real files


def test_a_cache_directory_another_user_owns_is_ignored_with_one_warning(tmp_path):
    import os

    from tests.conftest import run_cli

    if os.geteuid() == 0:
        cache = tmp_path / "cache"
        cache.mkdir(mode=0o777)
        os.chown(cache, 65534, 65534)          # nobody's
    else:
        cache = Path("/tmp")                   # root's, writable by everyone
    args = ("plan", "--example", "teen-cortical")
    result = run_cli(*args, env={"SEQPLAN_CACHE_DIR": str(cache)})
    assert result.returncode == 0 and result.stdout == run_cli(*args, env={"SEQPLAN_CACHE_DIR": ""}).stdout
    assert result.stderr.count("\n") == 1 and "not using the knowledge-base cache" in result.stderr
    assert not list(cache.glob("kb-*.json"))


def _add_rule(kb_dir, when):
    rule = {"id": "BIG-001", "title": "t", "version": 1, "status": "active", "layer": "propose", "principle": "p",
            "when": when, "then": [{"fact": "candidate_note", "v": 1}], "because": "x", "sources": ["seqplan#2"]}
    (kb_dir / "rules" / "big.yaml").write_text(yaml.safe_dump({"rules": [rule]}, sort_keys=False))


@pytest.mark.parametrize("when, message", [
    ({"a": {"fact": "activity", "activity": {"in": [f"x{i}" for i in range(800)]}}},
     r"rule BIG-001.when.a.activity: 'in' lists 800 values; at most 64"),
    ({"a": {"fact": "activity"}, "b": {"fact": "activity"}, "c": {"fact": "activity_setting"},
      "d": {"fact": "activity_setting"}},
     r"rule BIG-001.when.b: activity \(50 facts\) is matched with nothing tying it to the earlier patterns"),
])
def test_a_rule_the_engine_would_take_minutes_over_is_refused_at_once(kb_copy, when, message):
    """Both ran every plan for more than five minutes inside the C core, where Python cannot
    stop it: they are refused before the engine starts, by `plan` and by `kb check`."""
    from tests.conftest import run_cli

    _add_rule(kb_copy, when)
    planned = run_cli("plan", "--example", "teen-cortical", "--kb", kb_copy, env={"SEQPLAN_CACHE_DIR": ""})
    assert planned.returncode == 2 and planned.stderr.count("\n") == 1 and re.search(message, planned.stderr)
    checked = run_cli("kb", "check", "--kb", kb_copy, env={"SEQPLAN_CACHE_DIR": ""})
    assert checked.returncode == 1 and re.search(message, checked.stdout + checked.stderr)


@pytest.mark.parametrize("because, message", [
    ("{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}", "4007 characters; at most 4000"),
    ("{{ " + "(" * 30 + "1" + ")" * 30 + " }}", "brackets nested 32 deep; at most 24"),
])
def test_a_justification_too_big_to_parse_is_one_line(kb_copy, because, message):
    from tests.conftest import run_cli

    set_because(kb_copy, "BAND-001", because)
    result = run_cli("plan", "--example", "teen-cortical", "--kb", kb_copy, env={"SEQPLAN_CACHE_DIR": ""})
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and message in result.stderr, result.stderr[-300:]


@pytest.mark.parametrize("variable, value, what", [("SEQPLAN_MAX_FIRINGS", "100", "101 firings"),
                                                   ("SEQPLAN_MAX_FACTS", "900", "9"),
                                                   ("SEQPLAN_MAX_ENGINE_SECONDS", "0.0001", "0.0001 s of CPU")])
def test_an_evaluation_past_its_bounds_stops_naming_the_rule(variable, value, what):
    from tests.conftest import run_cli

    result = run_cli("plan", "--example", "teen-cortical", env={variable: value})
    assert result.returncode == 2 and result.stdout == ""
    assert re.fullmatch(rf"seqplan: error: rule [A-Z0-9-]+: the plan was stopped after {re.escape(what)}\S*( facts)?, .* "
                        rf"{variable} sets the limit\n", result.stderr), result.stderr


def test_a_knowledge_base_file_that_links_elsewhere_is_refused_and_never_shown(kb_copy, tmp_path):
    """A rule file linked to another file printed that file in full in the error."""
    from tests.conftest import run_cli

    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n" * 20)
    (kb_copy / "rules" / "evil.yaml").symlink_to(secret)
    linked = run_cli("kb", "check", "--kb", kb_copy, env={"SEQPLAN_CACHE_DIR": ""})
    assert linked.returncode == 2 and "is a symbolic link" in linked.stderr and "root:x" not in linked.stderr
    (kb_copy / "rules" / "evil.yaml").unlink()
    (kb_copy / "rules" / "evil.yaml").write_text(secret.read_text())     # the same text, as a file
    copied = run_cli("kb", "check", "--kb", kb_copy, env={"SEQPLAN_CACHE_DIR": ""})
    assert copied.returncode == 2 and "root:x" not in copied.stderr and copied.stderr.count("\n") == 1
