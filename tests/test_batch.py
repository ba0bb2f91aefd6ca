"""`seqplan batch` as a clinic uses it: a folder of files, a CSV caseload with bad rows,
the same bytes whatever --jobs is, collisions refused before anything is written, and
the caseload summary."""
from __future__ import annotations

import csv
import json
import os
import random
import stat

import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from tests.conftest import ALL_FUNCTIONS, EXAMPLES_DIR, make_assessment, write_assessment

ROWS, BAD_ROWS = 200, {7: ("sleep", "40"), 58: ("age_years", "old"), 150: ("assessed_on", "2026-02-30")}


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}")
    return result


def random_row(rng, n):
    row = {"client_id": f"C-{n:04d}", "age_years": rng.choice(["4.5", "7", "9.5", "13", "16"]),
           "assessed_on": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}
    row.update({fid: str(rng.randint(2, 12)) for fid in ALL_FUNCTIONS if rng.random() > 0.1})
    row["arousal"] = rng.choice(["", "calm", "alert", "alarm", "fear", "terror"])
    row["relational_health"] = rng.choice(["", "3", "8", "11"])
    row["interests"] = rng.choice(["", "music;animals", "drawing"])
    row["team"] = rng.choice(["", "caregiver;teacher"])
    return row


def write_csv(path, rows, extra_columns=()):
    columns = ["client_id", "name", "age_years", "assessed_on", *ALL_FUNCTIONS, "relational_health", "arousal",
               "interests", "team", *extra_columns]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def caseload(tmp_path_factory):
    """A 200-row CSV (3 bad rows) planned with --jobs 1 and --jobs 2."""
    base = tmp_path_factory.mktemp("caseload")
    rng = random.Random(12)
    rows = [random_row(rng, n) for n in range(1, ROWS + 1)]
    for index, (column, value) in BAD_ROWS.items():      # index = spreadsheet row (header = row 1)
        rows[index - 2][column] = value
    source = write_csv(base / "cases.csv", rows)
    return base, source, rows


def test_a_folder_of_assessment_files(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for n, (brainstem, arousal) in enumerate([(3, "alarm"), (12, "calm"), (7, "fear")], start=1):
        write_assessment(folder, make_assessment(brainstem=brainstem, client_id=f"F-{n}",
                                                 current={"arousal": arousal}), name=f"child{n}")
    write_assessment(folder, make_assessment(client_id="F-4"), name="child4", fmt="json")
    (folder / "readme.txt").write_text("not an assessment")
    out = tmp_path / "out"
    result = invoke("batch", folder, "-o", out, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "F-1_2026-11-02.md", "F-2_2026-11-02.md", "F-3_2026-11-02.md", "F-4_2026-11-02.md",
        "caseload.csv", "caseload.html", "caseload.json", "errors"]
    from planner.api import plan_file
    assert (out / "F-1_2026-11-02.md").read_text("utf-8") == plan_file(folder / "child1.yaml")
    summary = json.loads((out / "caseload.json").read_text("utf-8"))
    assert summary["planned"] == 4 and summary["failed"] == 0
    assert summary["high_arousal"]["children"] == ["F-1", "F-3"]
    assert (out / "errors").read_text("utf-8").splitlines() == ["file\trow\tfield\tproblem\tfix"]
    umask = os.umask(0o022)
    os.umask(umask)
    for path in out.iterdir():        # as any new file, not the 0600 of a temporary file
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path.name


def test_bad_rows_are_listed_and_the_rest_planned(tmp_path):
    rng = random.Random(5)
    rows = [random_row(rng, n) for n in range(1, 6)]
    rows[1]["sleep"] = "40"          # row 3
    rows[3]["age_years"] = "old"     # row 5
    source = write_csv(tmp_path / "cases.csv", rows)
    out = tmp_path / "out"
    result = invoke("batch", source, "-o", out, "--jobs", "1")
    assert result.exit_code == 1
    errors = [line.split("\t") for line in (out / "errors").read_text("utf-8").splitlines()[1:]]
    assert [(e[1], e[2]) for e in errors] == [("3", "sleep"), ("5", "age_years")]
    assert errors[0][0] == str(source) and "out of range" in errors[0][3] and "0 to 12" in errors[0][4]
    assert f"{source}:3: sleep: 40 is out of range" in result.output
    assert len(list(out.glob("*.md"))) == 3
    assert not (out / f"C-0002_{rows[1]['assessed_on']}.md").exists()
    assert not list(out.glob(".*"))          # no temporary or partial file left behind


def test_the_same_bytes_with_1_and_2_jobs(tmp_path):
    rng = random.Random(3)
    rows = [random_row(rng, n) for n in range(1, 25)]
    rows[2]["sleep"], rows[9]["arousal"], rows[20]["client_id"] = "13", "panic", ""
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv(folder / "cases.csv", rows)
    write_assessment(folder, make_assessment(client_id="Y-1", brainstem=4), name="y1")
    outputs = {}
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        result = invoke("batch", folder, "-o", out, "--jobs", jobs)
        assert result.exit_code == 1, result.output
        outputs[jobs] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert outputs[1] == outputs[2]
    assert len(outputs[1]) == 24 - 3 + 1 + 4


def test_a_caseload_of_200_rows_with_3_bad_rows(tmp_path, caseload):
    base, source, rows = caseload
    out = tmp_path / "out"
    result = invoke("batch", source, "-o", out, "--jobs", 2)
    assert result.exit_code == 1, result.output
    assert [line.split(": ")[2] for line in result.output.splitlines()[:-1]] == [
        f"{source}:{row}" for row in sorted(BAD_ROWS)]
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    plans = [name for name in files if name.endswith(".md")]
    assert len(plans) == ROWS - len(BAD_ROWS)
    errors = [line.split("\t") for line in files["errors"].decode().splitlines()[1:]]
    assert [(int(e[1]), e[2]) for e in errors] == [(row, column) for row, (column, _) in sorted(BAD_ROWS.items())]
    summary = json.loads(files["caseload.json"])
    assert summary["planned"] == ROWS - len(BAD_ROWS) and summary["failed"] == len(BAD_ROWS)
    assert summary["failed_cases"] == [f"{source}:{row}" for row in sorted(BAD_ROWS)]
    good = [r for i, r in enumerate(rows, start=2) if i not in BAD_ROWS]
    assert summary["high_arousal"]["children"] == [r["client_id"] for r in good
                                                   if r["arousal"] in ("alarm", "fear", "terror")]
    assert summary["low_relational_health"]["children"] == [
        r["client_id"] for r in good if r["relational_health"] and int(r["relational_health"]) < 6]
    assert sum(summary["start_phase"].values()) == len(good)
    for region, counts in summary["bands"].items():
        assert sum(counts.values()) == len(good), region
    assert sum(d["count"] for d in summary["reviews_due"]) == len(good)
    assert [c["id"] for c in summary["children"]] == [r["client_id"] for r in good]
    child = summary["children"][0]
    assert child["plan"] in files and child["review_due"] > child["assessed_on"]
    html = files["caseload.html"].decode()
    assert "<svg" in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<script src" not in html


def test_a_collision_is_refused_before_anything_is_written(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_assessment(folder, make_assessment(client_id="C-1", brainstem=3), name="a")
    write_assessment(folder, make_assessment(client_id="C-1", brainstem=9), name="b")
    out = tmp_path / "out"
    result = invoke("batch", folder, "-o", out)
    assert result.exit_code == 2
    assert "C-1_2026-11-02.md" in result.output and "a.yaml" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_ids_that_differ_only_in_case_or_unsafe_characters_collide(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_assessment(folder, make_assessment(client_id="ab/1"), name="a")
    write_assessment(folder, make_assessment(client_id="AB_1"), name="b")
    out = tmp_path / "out"
    out.mkdir()
    result = invoke("batch", folder, "-o", out, "--jobs", "1")
    assert result.exit_code == 2 and list(out.iterdir()) == []


def test_a_missing_input_is_a_one_line_error(tmp_path):
    result = invoke("batch", tmp_path / "nope.yaml", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.output.startswith("seqplan: error: ") and "no such file or directory" in result.output
    assert not (tmp_path / "out").exists()


def test_html_and_json_plans(tmp_path):
    for fmt in ("html", "json"):
        out = tmp_path / fmt
        result = invoke("batch", EXAMPLES_DIR / "teen-cortical.yaml", "-o", out, "--format", fmt, "--jobs", "1")
        assert result.exit_code == 0, result.output
        (plan,) = out.glob(f"EX-*.{fmt}")
        if fmt == "json":
            assert json.loads(plan.read_text("utf-8"))["client"]["id"] == "EX-002"


def test_redact_leaves_names_out_of_plans_and_caseload(tmp_path):
    data = yaml.safe_load((EXAMPLES_DIR / "young-child-brainstem.yaml").read_text("utf-8"))
    name = data["client"]["name"]
    out = tmp_path / "out"
    assert invoke("batch", EXAMPLES_DIR / "young-child-brainstem.yaml", "-o", out, "--redact").exit_code == 0
    for path in out.iterdir():
        assert name not in path.read_text("utf-8"), path.name


# ---------------------------------------------------------------- issue 22: edges of batch


def test_a_csv_with_a_header_and_no_rows_is_not_a_valid_caseload(tmp_path):
    """Issue 22: a CSV with no assessment rows passed `validate` and `batch` exited 0."""
    source = write_csv(tmp_path / "empty.csv", [])
    result = invoke("validate", source)
    assert result.exit_code == 2
    assert "empty.csv: holds no assessment, only a header row" in result.output
    out = tmp_path / "out"
    result = invoke("batch", source, "-o", out, "--jobs", "1")
    assert result.exit_code == 1
    assert "0 planned, 1 failed" in result.output
    assert "holds no assessment" in (out / "errors").read_text("utf-8")


def _previous_run(tmp_path):
    """A folder holding the output of a batch of two examples."""
    out = tmp_path / "out"
    result = invoke("batch", EXAMPLES_DIR / "teen-cortical.yaml", EXAMPLES_DIR / "middle-limbic.yaml",
                    "-o", out, "--jobs", "1")
    assert result.exit_code == 0, result.output
    return out


def test_batch_refuses_a_folder_that_is_not_empty(tmp_path):
    """Issue 22: a second run into the same folder left the first run's plans beside a
    summary that no longer listed them."""
    out = _previous_run(tmp_path)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = invoke("batch", EXAMPLES_DIR / "teen-cortical.yaml", "-o", out, "--jobs", "1")
    assert result.exit_code == 2
    assert "is not empty" in result.output and "--overwrite" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_overwrite_replaces_a_previous_batch_whole(tmp_path):
    out = _previous_run(tmp_path)
    result = invoke("batch", EXAMPLES_DIR / "teen-cortical.yaml", "-o", out, "--jobs", "1", "--overwrite")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "caseload.json").read_text("utf-8"))
    plans = {child["plan"] for child in summary["children"]}
    assert plans == {"EX-002_2026-09-30.md"}
    assert {p.name for p in out.iterdir()} == plans | {"errors", "caseload.json", "caseload.html", "caseload.csv"}


@pytest.mark.parametrize("extra", ["notes.txt", "folder", "no-caseload"])
def test_overwrite_never_deletes_what_a_batch_did_not_write(tmp_path, extra):
    out = _previous_run(tmp_path)
    if extra == "folder":
        (out / extra).mkdir()
    elif extra == "no-caseload":
        (out / "caseload.json").unlink()
    else:
        (out / extra).write_text("mine", encoding="utf-8")
    before = sorted(p.name for p in out.iterdir())
    result = invoke("batch", EXAMPLES_DIR / "teen-cortical.yaml", "-o", out, "--jobs", "1", "--overwrite")
    assert result.exit_code == 2
    assert result.output.startswith("seqplan: error: ") and len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in out.iterdir()) == before


def test_a_redacted_batch_never_names_its_input_files(tmp_path):
    """Files are often named after the child: under --redact the summaries and the errors
    file call them "input N", not by their path."""
    import shutil

    from tests.conftest import EXAMPLES_DIR, run_cli

    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(EXAMPLES_DIR / "young-child-brainstem.yaml", inputs / "Robin Smith.yaml")
    (inputs / "Robin Smith old.yaml").write_text("format: seqplan/assessment-1\nclient: {id: X}\n")
    result = run_cli("batch", inputs, "-o", tmp_path / "out", "--redact")
    assert result.returncode == 1
    for path in (tmp_path / "out").iterdir():
        assert "Robin" not in path.read_text(), path.name
    assert "input 1 (path withheld by --redact)\t2\tclient.age_years" in (tmp_path / "out" / "errors").read_text()
