"""`why` and `why-not` take the activity's name as the plan shows it; `diff` shows the part
of a long text that changed."""
from __future__ import annotations

import shutil

import pytest

from tests.conftest import KB_DIR, cli_in_process


@pytest.mark.parametrize("given", ["Contact with animals", "contact with animals", "CONTACT  WITH ANIMALS",
                                   "animal_assisted"])
def test_why_not_takes_the_name_the_plan_shows(given):
    result = cli_in_process("why-not", "young-child-brainstem", given)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Why not Contact with animals (waits):\nContact with animals waits because ")


@pytest.mark.parametrize("given", ["Rocking to song", "rocking to song", "rocking_to_song", "s1", "S1"])
def test_why_takes_a_step_or_activity_name(given):
    result = cli_in_process("why", "young-child-brainstem", given)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Why: S1 Rocking to song (regulate phase)")


@pytest.mark.parametrize("command", ["why", "why-not"])
def test_a_near_miss_suggests_the_closest_name(command):
    result = cli_in_process(command, "young-child-brainstem", "Contact with animal")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "did you mean 'Contact with animals'?" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_diff_shows_the_changed_part_of_a_long_text(tmp_path):
    changed = tmp_path / "kb-b"
    shutil.copytree(KB_DIR, changed)
    rules = changed / "rules" / "select.yaml"
    rules.write_text(rules.read_text("utf-8").replace("nothing defers it", "nothing holds it back"), "utf-8")
    result = cli_in_process("diff", "young-child-brainstem", "--kb-a", KB_DIR, "--kb-b", changed)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "because" in line and "nothing" in line]
    assert lines, result.stdout
    for line in lines:
        old, new = line.split(" -> ")
        assert "nothing defers it" in old and "nothing holds it back" in new, line
        assert old.split(": ", 1)[1].startswith("...") and len(line) < 400, "only the changed part, with context"
