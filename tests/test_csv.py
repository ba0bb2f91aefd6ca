"""CSV input and `seqplan template`: a row is an assessment, validated like a file, with
errors that name the file, the row and the column."""
from __future__ import annotations

import csv
import json
import re

import yaml
from click.testing import CliRunner

from planner.cli import main
from tests.conftest import ALL_FUNCTIONS, EXAMPLES_DIR, write_assessment


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}")
    return result


def example_as_row(name="young-child-brainstem"):
    """The bundled example written as one CSV row (header, row)."""
    data = yaml.safe_load((EXAMPLES_DIR / f"{name}.yaml").read_text("utf-8"))
    row = {"client_id": data["client"]["id"], "name": data["client"].get("name", ""),
           "age_years": str(data["client"]["age_years"]), "assessed_on": str(data["assessed_on"]),
           "assessor": data.get("assessor", "")}
    row.update({fid: str(score) for fid, score in data["functioning"].items()})
    for key, value in data.get("current", {}).items():
        row[key] = str(value)
    for period, ratings in data.get("history", {}).items():
        for what, value in ratings.items():
            row[f"{period}_{what}"] = str(value)
    for key, value in data.get("context", {}).items():
        row[key] = ";".join(value) if isinstance(value, list) else value
    return list(row), row


def write_rows(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_row_plans_exactly_like_the_yaml_file(tmp_path):
    header, row = example_as_row()
    source = write_rows(tmp_path / "one.csv", header, [row])
    out = tmp_path / "out"
    assert invoke("batch", source, "-o", out, "--format", "json", "--jobs", 1).exit_code == 0
    from planner.api import plan_file
    expected = json.loads(plan_file(EXAMPLES_DIR / "young-child-brainstem.yaml", fmt="json"))
    got = json.loads((out / f"{row['client_id']}_{row['assessed_on']}.json").read_text("utf-8"))
    assert got["input_digest"] == expected["input_digest"]      # the same canonical input
    assert got == expected


def test_validate_names_the_row_and_the_column(tmp_path):
    header, row = example_as_row()
    bad = [dict(row), dict(row, sleep="4.5"), dict(row, relational_health="thirteen"), dict(row, arousal="calmish")]
    source = write_rows(tmp_path / "cases.csv", header, bad)
    result = invoke("validate", source)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [
        f"seqplan: error: {source}:3: sleep: must be a whole number, got 4.5",
        f'seqplan: error: {source}:4: relational_health: must be a whole number, got "thirteen"',
        f"seqplan: error: {source}:5: arousal: 'calmish' is not allowed (did you mean 'calm'?)",
    ]


def test_list_columns_are_separated_by_semicolons(tmp_path):
    header, row = example_as_row()
    row["interests"] = " music ; animals;;"
    source = write_rows(tmp_path / "one.csv", header, [row])
    out = tmp_path / "out"
    assert invoke("batch", source, "-o", out, "--format", "json", "--jobs", 1).exit_code == 0
    (plan,) = out.glob("EX-*.json")
    facts = json.loads(plan.read_text("utf-8"))["facts"]
    assert {f["tag"] for f in facts.values() if f["kind"] == "interest"} == {"music", "animals"}


def test_an_unknown_column_is_refused_with_a_suggestion(tmp_path):
    header, row = example_as_row()
    row["cardiovasculr"] = row.pop("cardiovascular")
    source = write_rows(tmp_path / "cases.csv", [h if h != "cardiovascular" else "cardiovasculr" for h in header], [row])
    result = invoke("validate", source)
    assert result.exit_code == 2
    assert result.output.strip() == (f"seqplan: error: {source}:1: cardiovasculr: unknown column "
                                     f"(did you mean 'cardiovascular'?)")


def test_a_missing_required_column_and_a_twice_given_column(tmp_path):
    (tmp_path / "a.csv").write_text("client_id,age_years,sleep\nC-1,9,4\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("client_id,age_years,assessed_on,sleep,sleep\nC-1,9,2026-01-01,4,5\n",
                                    encoding="utf-8")
    assert "assessed_on: required column is missing" in invoke("validate", tmp_path / "a.csv").output
    assert "b.csv:1: sleep: column appears twice" in invoke("validate", tmp_path / "b.csv").output


def test_a_bad_header_fails_the_file_and_the_batch_goes_on(tmp_path):
    (tmp_path / "bad.csv").write_text("client_id,age_years,assessed_on,slep\nC-1,9,2026-01-01,4\n", encoding="utf-8")
    good = write_assessment(tmp_path, yaml.safe_load((EXAMPLES_DIR / "teen-cortical.yaml").read_text("utf-8")), "g")
    out = tmp_path / "out"
    result = invoke("batch", tmp_path / "bad.csv", good, "-o", out, "--jobs", 1)
    assert result.exit_code == 1
    errors = (out / "errors").read_text("utf-8").splitlines()[1:]
    assert len(errors) == 1 and errors[0].split("\t")[1:3] == ["1", "slep"]
    assert len(list(out.glob("EX-*.md"))) == 1


def test_the_csv_template_has_every_function_and_its_guidance(tmp_path):
    result = invoke("template", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(result.output.splitlines()))
    header = rows[0]
    assert set(ALL_FUNCTIONS) <= set(header) and header[:4] == ["client_id", "name", "age_years", "assessed_on"]
    comments = {r[0][2:]: r[1] for r in rows[1:] if r and r[0].startswith("# ") and len(r) > 1}
    assert "0 = " in comments["cardiovascular"] and "12 = " in comments["cardiovascular"]
    # the template reads as a CSV assessment file, ready for rows: until it has one, it says so
    source = tmp_path / "blank.csv"
    source.write_text(result.output, encoding="utf-8")
    refused = invoke("validate", source)
    assert refused.exit_code == 2 and "holds no assessment, only a header row" in refused.output


def test_the_yaml_template_validates_once_filled_in(tmp_path):
    result = invoke("template", "-o", tmp_path / "blank.yaml")
    assert result.exit_code == 0
    text = (tmp_path / "blank.yaml").read_text("utf-8")
    for fid in ALL_FUNCTIONS:
        assert re.search(rf"^  # {fid}: .*\n  #   0 = .*\n  #   6 = .*\n  #   12 = .*\n  {fid}:$", text, re.M), fid
    assert invoke("validate", tmp_path / "blank.yaml").exit_code == 2
    filled = re.sub(r"^(  (\w+)):\s*$", r"\1: 7", text, flags=re.M)
    filled = filled.replace("  id:    ", "  id: C-9", 1).replace("  age_years:   ", "  age_years: 8", 1)
    filled = filled.replace("assessed_on:   ", "assessed_on: 2026-11-02", 1)
    path = tmp_path / "filled.yaml"
    path.write_text(filled, encoding="utf-8")
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output


def test_plan_on_a_csv_file_points_to_batch(tmp_path):
    header, row = example_as_row()
    source = write_rows(tmp_path / "one.csv", header, [row])
    result = invoke("plan", source)
    assert result.exit_code == 2
    assert result.output.strip() == (f"seqplan: error: {source}: is a CSV file: one assessment per row (plan its "
                                     f"rows with `seqplan batch FILE -o DIR`; check them with `seqplan validate FILE`)")
