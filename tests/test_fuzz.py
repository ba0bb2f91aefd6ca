"""Fuzzing the whole command on mutated assessment files (Hypothesis, seeded, so CI runs
the same few hundred cases every time; SEQPLAN_FUZZ_CASES sets how many): whatever the
bytes, `seqplan plan` exits 0 with a plan or 2 with one line, never a traceback, never a
crash, and never leaves an output file behind on exit 2. The reproducers of issue 13 are kept in test_input_safety.CORPUS."""
import json
import os

import pytest
from click.testing import CliRunner

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from planner.cli import main  # noqa: E402
from tests.conftest import EXAMPLE_NAMES, EXAMPLES_DIR  # noqa: E402

BASES = {name: (EXAMPLES_DIR / f"{name}.yaml").read_text("utf-8") for name in EXAMPLE_NAMES}
# Tokens that broke earlier versions (issue 13) or sit on the edges of the formats.
TOKENS = ["010", "0x0A", "1_1", "0o7", "1:20", ".5", ".inf", ".nan", "1e-5", "0.00001", "1e400", "9" * 30,
          "-0", "+3", "yes", "no", "on", "~", "null", "&a [1]", "*a", "&a [*a]", "<<: *a", "!!python/object:os.system",
          "!!binary aGVsbG8=", "? [a]\n: 1", "[[[[[[[[", "]]]]", "{", "}", ": ", "- ", "\n", "\n  ", "\t", "\r\n",
          "\x00", "\x1b[31m", "\u202e", "\ud83d", "\\ud83d", "\ufeff", "\u2028", '"', "'", "#", "%YAML 1.1\n---\n",
          "---\n", "...", "2026-02-30", "2026-11-02\n", "true", "12.0", "-1", "13", "25.1", "é"]


@st.composite
def mutated_files(draw):
    """(suffix, bytes): an example assessment, as YAML or JSON, with a few mutations."""
    name = draw(st.sampled_from(sorted(BASES)))
    text = BASES[name]
    suffix = draw(st.sampled_from([".yaml", ".json"]))
    if suffix == ".json":
        import yaml

        text = json.dumps(yaml.safe_load(text), indent=draw(st.sampled_from([None, 2])), default=str)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "replace", "delete", "duplicate", "number"]))
        at = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS) | st.text(max_size=5)) + text[at:]
        elif kind == "replace":
            end = min(len(text), at + draw(st.integers(1, 12)))
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[end:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif kind == "duplicate":
            lines = text.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines.insert(i, lines[i])
            text = "".join(lines)
        else:   # put an edge-case number where a number is
            digits = [i for i, c in enumerate(text) if c.isdigit()]
            if digits:
                i = draw(st.sampled_from(digits))
                text = text[:i] + draw(st.sampled_from(TOKENS[:20])) + text[i + 1:]
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return suffix, data


@settings(max_examples=int(os.environ.get("SEQPLAN_FUZZ_CASES", 200)), derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=mutated_files())
def test_any_mutated_assessment_is_planned_or_refused_in_one_line(tmp_path_factory, case):
    suffix, data = case
    directory = tmp_path_factory.mktemp("fuzz")
    path, out = directory / f"child{suffix}", directory / "plan.json"
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["plan", str(path), "--format", "json", "-o", str(out)])
    event(f"exit {result.exit_code}")
    assert result.exit_code in (0, 2), (result.exit_code, result.output, data[:300])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("seqplan: error: "), (result.stderr, data[:300])
        assert not any(ord(c) < 32 for c in lines[0])
        assert not out.exists()
    else:
        assert json.loads(out.read_text("utf-8"))["format"] == "seqplan/plan-1"
