"""The caseload summary a service manager reads (issue 22, item 4): reviews overdue and due
soon as of `batch --on`, referrals to make, names for high arousal and low relational
health, the children table overdue first (sortable in the browser, ordered without it),
caseload.csv of the same table, redaction, and a clean print."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest

from planner.caseload.summary import TABLE_COLUMNS
from tests.conftest import make_assessment, write_assessment
from tests.test_batch import invoke

ON = "2026-06-01"
# (client id, name, assessment overrides): review dates 2026-03-30, 2026-08-31, 2026-06-01,
# 2026-04-27 and 2026-06-15 (the plans' own review weeks)
CASES = [("A-1", "Ann", dict(brainstem=3, assessed_on="2026-01-05",
                             current={"arousal": "alarm", "relational_health": 9})),
         ("A-2", "Ben", dict(assessed_on="2026-03-02", current={"arousal": "calm", "relational_health": 10})),
         ("A-3", None, dict(brainstem=7, assessed_on="2026-04-06", current={"arousal": "fear", "relational_health": 3})),
         ("A-4", "=HYPERLINK(1)", dict(limbic=6, assessed_on="2026-02-02",
                                       current={"arousal": "alert", "relational_health": 9})),
         ("A-5", "Zoe", dict(cortex=6, assessed_on="2026-03-23", current={"arousal": "alert", "relational_health": 9}))]
NAMES = ("Ann", "Ben", "HYPERLINK", "Zoe")


def _batch(tmp_path, *options):
    inputs = tmp_path / "Ann Smith and others"      # a folder (and files) named after children
    inputs.mkdir()
    for client_id, name, overrides in CASES:
        write_assessment(inputs, make_assessment(client_id=client_id, name=name, **overrides), name=f"child {client_id}")
    out = tmp_path / "out"
    result = invoke("batch", inputs, "-o", out, "--jobs", "1", *options)
    assert result.exit_code == 0, result.output
    return inputs, out, {name: (out / name).read_text("utf-8")
                         for name in ("caseload.json", "caseload.html", "caseload.csv")}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    return _batch(tmp_path_factory.mktemp("seeded"), "--on", ON)


def _table(html):
    """The children table's rows as the page lists them: (row class, client id)."""
    return re.findall(r'<tr class="(\w*)"><td class="id">([^<]*)</td>', html)


def test_overdue_and_due_soon_are_counted_from_the_date_given(seeded):
    _, _, files = seeded
    summary = json.loads(files["caseload.json"])
    assert summary["on"] == ON
    assert summary["overdue"] == {"count": 2, "children": ["A-1", "A-4"]}       # most overdue first
    assert summary["due_soon"] == {"weeks": 4, "count": 2, "children": ["A-3", "A-5"]}   # today counts
    html = files["caseload.html"]
    assert "<li>Ann (A-1): due 2026-03-30, 63 days ago</li>" in html
    assert "<li>A-3: due 2026-06-01 (today)</li><li>Zoe (A-5): due 2026-06-15</li>" in html


def test_a_later_date_makes_every_review_overdue(tmp_path):
    _, _, files = _batch(tmp_path, "--on", "2026-09-01")
    summary = json.loads(files["caseload.json"])
    assert summary["overdue"]["children"] == ["A-1", "A-4", "A-3", "A-5", "A-2"]
    assert summary["due_soon"]["count"] == 0


def test_referrals_high_arousal_and_low_relational_health_are_named(seeded):
    _, _, files = seeded
    summary = json.loads(files["caseload.json"])
    needed = {r["service"]: r["children"] for r in summary["referrals_needed"]}
    assert needed["a therapist"] == ["A-3", "A-4"]
    assert needed["an occupational therapy sensory assessment"] == ["A-1"]
    assert summary["high_arousal"]["children"] == ["A-1", "A-3"]
    assert summary["low_relational_health"] == {"below": 8, "count": 1, "children": ["A-3"]}
    html = files["caseload.html"]
    assert re.search(r"<h3>A therapist: 2</h3>\s*<ul class=\"names\"><li>A-3</li><li>=HYPERLINK\(1\) \(A-4\)</li>", html)
    assert re.search(r"Typically in alarm, fear, terror: 2 of 5</h2>\s*<ul class=\"names\"><li>Ann \(A-1\)</li>"
                     r"<li>A-3</li></ul>", html)


def test_the_table_is_in_review_order_without_a_script(seeded):
    """Overdue first, then due soon, then later: the order the page has before (or without)
    its script sorts anything."""
    _, _, files = seeded
    assert _table(files["caseload.html"]) == [("overdue", "A-1"), ("overdue", "A-4"), ("due_soon", "A-3"),
                                              ("due_soon", "A-5"), ("later", "A-2")]


def test_the_csv_holds_the_table(seeded):
    _, _, files = seeded
    rows = list(csv.reader(io.StringIO(files["caseload.csv"])))
    assert tuple(rows[0]) == TABLE_COLUMNS
    html = files["caseload.html"]
    headings = re.search(r'<table class="sortable"><thead><tr>(.*?)</tr></thead>', html).group(1)
    assert headings.count("<th ") == len(TABLE_COLUMNS)
    assert [r[0] for r in rows[1:]] == [client for _, client in _table(html)]    # one row per case, same order
    ann = dict(zip(rows[0], rows[1]))
    assert ann == {"id": "A-1", "name": "Ann", "age_years": "9.5", "assessed_on": "2026-01-05", "arousal": "alarm",
                   "relational_health": "9", "start_phase": "regulate", "review_due": "2026-03-30", "days": "-63",
                   "review": "overdue", "referrals": ann["referrals"], "plan": "A-1_2026-01-05.md"}
    assert "an occupational therapy sensory assessment" in ann["referrals"].split("; ")
    assert rows[2][1] == "'=HYPERLINK(1)"          # a spreadsheet would run it as a formula


def test_a_redacted_summary_names_no_child_and_no_input(tmp_path):
    inputs, out, files = _batch(tmp_path, "--on", ON, "--redact")
    for name, text in files.items():
        for word in NAMES + (str(inputs), "child A-"):
            assert word not in text, (name, word)
    assert "<li>A-1: due 2026-03-30, 63 days ago</li>" in files["caseload.html"]
    assert {row["name"] for row in csv.DictReader(io.StringIO(files["caseload.csv"]))} == {""}


def test_the_page_prints_cleanly_and_fetches_nothing(seeded):
    _, _, files = seeded
    html = files["caseload.html"]
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    printed = style[style.index("@media print"):]
    assert "thead { display: table-header-group; }" in printed         # headings on every page
    assert "word-break: normal" in printed and "overflow-wrap: normal" in printed
    assert "anywhere" not in style                                      # no word split mid-word
    assert "<script src" not in html and "fetch(" not in html and "https://" not in html
