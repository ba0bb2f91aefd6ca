"""The case record, against SQLite and a real PostgreSQL with the same tests.

PostgreSQL: `.ci/run` starts a throwaway cluster (`.ci/postgres`) and passes its URL in
SEQPLAN_TEST_PG; each test gets a database of its own. Without that variable the
PostgreSQL cases are skipped and say so (start one with `.ci/postgres start DIR`).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from planner.api import open_record, plan_file, record_print, record_show
from planner.cli import main
from planner.record.db import RecordError, database_url
from planner.record.tables import INSERT_ONLY

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def raw(db):
    """A connection that goes around seqplan, as a database superuser could."""
    return create_engine(database_url(db), isolation_level="AUTOCOMMIT")


def later(tmp_path, name="young-child-brainstem", on="2027-01-11", **ratings):
    """A later assessment of the same child, with some ratings changed."""
    import yaml

    data = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    data["assessed_on"] = on
    data["functioning"].update(ratings)
    path = tmp_path / f"{name}-{on}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def loop(db):
    """The therapist's loop on the bundled example: add, plan, four decisions, sign."""
    rec = open_record(db)
    rec.add(["young-child-brainstem"], by="Dr A")
    plan_id, new = rec.plan("EX-001", by="Dr A")
    rec.decide(plan_id, "S1", "accept", by="Dr A")
    rec.decide(plan_id, "S2", "replace", "swinging", "not-convenient-feasible", "no drum at home", by="Dr A")
    rec.decide(plan_id, "S3", "defer", None, "need-more-info", "observe at school first", by="Dr A")
    rec.decide(plan_id, None, "add", "nature_walks", "clinical-judgement", "the family walks daily", by="Dr A")
    rec.sign(plan_id, "clinical_psychologist", by="Dr A")
    return rec, plan_id


# --- the store -----------------------------------------------------------------------------

def test_a_new_record_is_migrated_and_matches_the_declared_tables(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from planner.record.tables import metadata

    rec = open_record(db)
    with rec.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []
    open_record(db)      # opening it again migrates nothing and fails nothing


def test_the_sqlite_file_is_created_readable_by_its_owner_only(tmp_path):
    open_record(str(tmp_path / "r.db"))
    assert (tmp_path / "r.db").stat().st_mode & 0o777 == 0o600


def test_the_loop_prints_the_decisions_beside_the_advice(db):
    rec, plan_id = loop(db)
    md = record_print(f"P{plan_id}", db=db, by="auditor")
    assert "**Signed** by Dr A (Clinical psychologist)" in md
    assert "S2 Drumming to Swinging: Replaced by Dr A" in md
    assert 'Not practical for the family or team (time, transport, cost). Note: "no drum at home"' in md
    steps = md[md.index("## Steps"):]
    assert "### S2. Regulate: Swinging" in steps and "Drumming" in steps        # chosen, and the advice named
    assert "### S3." not in steps                                                 # deferred by the clinician
    assert "### T1. Regulate: Nature walks" in steps
    handout = record_print(f"P{plan_id}", reader="caregiver", db=db, by="auditor")
    assert "Swinging" in handout and "Walks outside" in handout
    assert "Drum" not in handout and "music and movement" not in handout.lower()
    html = record_print(f"P{plan_id}", fmt="html", db=db, by="auditor")
    assert "The clinician&#39;s decisions" in html or "The clinician's decisions" in html


def test_the_stored_plan_is_exactly_what_plan_writes(db):
    rec, plan_id = loop(db)
    row = rec.stored_plan(plan_id, by="auditor")[0]
    assert row.plan_json == plan_file("young-child-brainstem", fmt="json")
    assert json.loads(record_print(f"P{plan_id}", fmt="json", db=db))["decisions"][1]["reason"] == "not-convenient-feasible"


def test_a_later_assessment_is_planned_after_the_earlier_one(db, tmp_path):
    rec, first = loop(db)
    rec.add([later(tmp_path, cardiovascular=6)], by="Dr A")
    second, new = rec.plan("EX-001", by="Dr A")
    assert new and second != first
    stored = json.loads(rec.stored_plan(second, by="Dr A")[0].plan_json)
    assert stored["assessed_on"] == "2027-01-11"
    assert stored["since_previous"] is not None
    data = rec.child_record("EX-001", by="Dr A")
    assert [p["status"] for p in data["plans"]] == ["signed", "draft"]
    rec.sign(second, "therapist", by="Dr B")
    data = rec.child_record("EX-001", by="Dr A")
    assert [p["status"] for p in data["plans"]] == ["superseded", "signed"]
    show = record_show("EX-001", db=db, by="Dr A")
    assert "P2  plan of A2 (following A1): signed" in show
    assert "P1 S2: replaced with Swinging by Dr A" in show


def test_reviews_due_list_the_overdue_first(db, tmp_path):
    import datetime as dt

    rec, plan_id = loop(db)
    other = later(tmp_path, name="middle-limbic", on="2026-11-20")
    rec.add([other], by="Dr A")
    rec.plan("EX-003", by="Dr A")
    due = rec.due(weeks=52, today=dt.date(2026, 12, 10), by="Dr A")
    assert [d["child"] for d in due][0] == "EX-001"
    assert due[0]["days"] < 0 and due[0]["status"] == "signed"
    assert all(a["review_due"] <= b["review_due"] for a, b in zip(due, due[1:]))
    assert rec.due(weeks=0, today=dt.date(2026, 10, 1), by="Dr A") == []


def test_a_voided_assessment_is_not_planned_and_stays_in_the_record(db, tmp_path):
    rec, _ = loop(db)
    rec.add([later(tmp_path, cardiovascular=6)], by="Dr A")
    rec.void("assessment", "A2", "cds-not-applicable", "entered for the wrong child", by="Dr A")
    plan_id, new = rec.plan("EX-001", by="Dr A")
    assert not new                       # the latest live assessment is A1, already planned
    assessments = rec.child_record("EX-001", by="Dr A")["assessments"]
    assert [a["voided"] is not None for a in assessments] == [False, True]


@pytest.mark.parametrize("args, message", [
    (("P1", "S9", "accept"), "P1 has no such step (its steps: S1, S2"),
    (("P1", "S2", "drop"), "--reason: an override needs a coded reason"),
    (("P1", "S2", "drop", None, "bogus"), "'bogus' is not a reason code"),
    (("P1", "S2", "replace", "tap_dancing", "child-choice"), "activity 'tap_dancing': not in the catalogue"),
    (("P1", "S2", "drop", None, "clinical-judgement", ""), "clinical-judgement needs the judgement explained"),
    (("P7", "S2", "accept"), "P7: no such plan in the record"),
    (("Q1", "S2", "accept"), "plan 'Q1': not a plan id"),
])
def test_a_decision_that_makes_no_sense_is_refused_in_one_line(db, args, message):
    rec = open_record(db)
    rec.add(["young-child-brainstem"], by="Dr A")
    rec.plan("EX-001", by="Dr A")
    with pytest.raises(RecordError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        rec.decide(*args, by="Dr A")
    assert "\n" not in str(caught.value)


def test_a_signed_plan_takes_no_more_decisions(db):
    rec, plan_id = loop(db)
    with pytest.raises(RecordError, match="signed by Dr A on .* so you cannot decide about it"):
        rec.decide(plan_id, "S4", "accept", by="Dr B")
    with pytest.raises(RecordError, match="cannot void one of its decisions"):
        rec.void("decision", "D1", "clinical-judgement", "changed my mind", by="Dr B")


def test_nothing_can_be_updated_or_deleted_through_the_database(db):
    from planner.record.caseload import assign
    from planner.record.users import add_user

    rec, _ = loop(db)
    rec.void("assessment", "A1", "cds-not-applicable", "every table holds a row", by="Dr A")
    add_user(rec, "Dr B", "therapist", "a long password", by="Dr A")
    assign(rec, {"name": "Dr A", "role": "supervisor"}, "EX-001", "Dr B")
    engine = raw(db)
    with engine.connect() as conn:
        for table in INSERT_ONLY:
            for statement in (f"UPDATE {table} SET id = id" if table != "audit_event" else
                              "UPDATE audit_event SET actor = 'x'", f"DELETE FROM {table}"):
                with pytest.raises(Exception, match="never changed or deleted"):
                    conn.execute(text(statement))
    engine.dispose()


# --- tamper evidence -------------------------------------------------------------------------

def _around_the_triggers(db, *statements):
    """Run ``statements`` with the triggers out of the way (a superuser can), then restore them."""
    engine = raw(db)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))    # triggers do not fire
            for statement in statements:
                conn.execute(text(statement))
        else:
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _ in triggers:
                conn.execute(text(f"DROP TRIGGER {name}"))
            for statement in statements:
                conn.execute(text(statement))
            for _, sql in triggers:
                conn.execute(text(sql))
    engine.dispose()


def test_an_untouched_record_verifies(db):
    rec, _ = loop(db)
    record_show("EX-001", db=db, by="auditor")
    intact, lines = rec.verify()
    assert intact, lines
    assert lines[0].startswith("intact: 9 audit events chained")


@pytest.mark.parametrize("tamper, first", [
    (("UPDATE decision SET note = 'no transport' WHERE id = 2",), "decision D2: changed after audit event"),
    (("DELETE FROM decision WHERE id = 3",), "decision D3: deleted (audit event"),
    (("UPDATE plan SET plan_json = replace(plan_json, 'Drumming', 'Hydrotherapy')",), "plan P1: changed after"),
    (("UPDATE audit_event SET actor = 'someone else' WHERE seq = 4",), "audit event 4: its content was edited"),
    (("DELETE FROM audit_event WHERE seq = 5",), "audit event 6: expected event 5 here"),
    (("UPDATE audit_event SET seq = 100 WHERE seq = 5", "UPDATE audit_event SET seq = 5 WHERE seq = 6",
      "UPDATE audit_event SET seq = 6 WHERE seq = 100"), "audit event 5: does not follow the event before it"),
    (("INSERT INTO void (kind, target_id, reason, note, by, at) VALUES "
      "('decision', 2, 'clinical-judgement', 'x', 'x', '2026-12-04T00:00:00+00:00')",), "void V1: not in the audit trail"),
])
def test_verify_names_the_first_row_edited_deleted_or_reordered(db, tamper, first):
    loop(db)
    _around_the_triggers(db, *tamper)
    intact, lines = open_record(db).verify()
    assert not intact
    assert first in lines[0], lines


def test_a_signed_plan_whose_decisions_were_changed_is_not_printed(db):
    rec, plan_id = loop(db)
    _around_the_triggers(db, "DELETE FROM decision WHERE id = 3")
    with pytest.raises(RecordError, match="its decisions are not those that were signed"):
        record_print(f"P{plan_id}", db=db)


def test_every_read_of_a_child_is_an_audit_event(db):
    rec, plan_id = loop(db)
    from planner.api import record_export

    record_show("EX-001", db=db, by="auditor")
    record_print(f"P{plan_id}", db=db, by="auditor")
    exported = json.loads(record_export("EX-001", db=db, by="auditor", redact=True))
    assert "Robin" not in json.dumps(exported)
    engine = raw(db)
    with engine.connect() as conn:
        reads = conn.execute(text("SELECT detail FROM audit_event WHERE action = 'read' AND actor = 'auditor' "
                                  "ORDER BY seq")).scalars().all()
    engine.dispose()
    assert [json.loads(r)["purpose"] for r in reads] == ["show", "print md", "export redacted"]


# --- more than one process -------------------------------------------------------------------

_WRITER = """
import sys
from planner.api import open_record
rec = open_record(sys.argv[1])
for n in range(int(sys.argv[3])):
    rec.decide(1, "S1", "accept", note=f"{sys.argv[2]} {n}", by=sys.argv[2])
"""


def test_two_processes_deciding_at_once_lose_no_write(db):
    rec = open_record(db)
    rec.add(["young-child-brainstem"], by="Dr A")
    rec.plan("EX-001", by="Dr A")
    each = 15
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, db, who, str(each)], stderr=subprocess.PIPE, text=True)
             for who in ("Dr A", "Dr B")]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()
    decisions = rec.child_record("EX-001", by="auditor")["decisions"]
    assert sorted(d["note"] for d in decisions) == sorted(f"{w} {n}" for w in ("Dr A", "Dr B") for n in range(each))
    intact, lines = rec.verify()
    assert intact, lines


_PLANNER = """
import sys, yaml
from pathlib import Path
from planner.api import open_record
rec = open_record(sys.argv[1])
data = yaml.safe_load(Path(sys.argv[2]).read_text())
for n in range(1000):
    data["assessed_on"] = f"2027-{1 + n // 28 % 12:02d}-{1 + n % 28:02d}"
    data["functioning"]["cardiovascular"] = n % 13
    path = Path(sys.argv[3]) / f"a{n}.yaml"
    path.write_text(yaml.safe_dump(data))
    rec.add([path], by="Dr A")
    rec.plan("EX-001", by="Dr A")
    print(n, flush=True)
"""


def test_a_process_killed_while_storing_plans_leaves_the_record_consistent(db, tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", _PLANNER, db, str(EXAMPLES / "young-child-brainstem.yaml"),
                             str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(3):                     # let it store a few plans, then kill it mid-way through another
        assert proc.stdout.readline(), proc.stderr.read()
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    rec = open_record(db)
    intact, lines = rec.verify()
    assert intact, lines
    data = rec.child_record("EX-001", by="auditor")
    assert len(data["plans"]) >= 3 and len(data["assessments"]) >= len(data["plans"])
    rec.plan("EX-001", by="Dr A")          # and it goes on working
    assert rec.verify()[0]


# --- the command line --------------------------------------------------------------------------

def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env={"SEQPLAN_USER": "Dr A", **(env or {})})


def test_the_commands_follow_the_loop(db, tmp_path):
    steps = [("add", "young-child-brainstem"), ("plan", "EX-001"), ("decide", "P1", "S1", "--accept"),
             ("decide", "P1", "S2", "--replace", "swinging", "--reason", "not-convenient-feasible", "--note", "x"),
             ("sign", "P1", "--role", "therapist"), ("due", "--on", "2026-12-10"), ("show", "EX-001"), ("verify",)]
    outputs = []
    for step in steps:
        result = run("record", *step, "--db", db)
        assert result.exit_code == 0, (step, result.output)
        outputs.append(result.output)
    assert outputs[1].startswith("P1: stored as a draft")
    assert "EX-001  P1 (signed)  overdue by 3 day(s)" in outputs[5]
    assert outputs[7].startswith("intact:")


@pytest.mark.parametrize("args, message", [
    (("record", "plan", "EX-404"), "EX-404: no such child in the record"),
    (("record", "decide", "P1", "S1", "--accept", "--drop"), "give exactly one of"),
    (("record", "decide", "P1", "--add", "swinging"), None),
    (("record", "sign", "P1", "--role", "wizard"), "'wizard' is not a role that signs plans"),
    (("record", "add", "no-such-file.yaml"), "no-such-file.yaml"),
])
def test_a_command_line_mistake_is_one_line_and_exit_2(tmp_path, args, message):
    db = str(tmp_path / "r.db")
    run("record", "add", "young-child-brainstem", "--db", db)
    run("record", "plan", "EX-001", "--db", db)
    result = run(*args, "--db", db)
    if message is None:                   # --add without a reason
        message = "--reason: an override needs a coded reason"
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and message in result.output and "Traceback" not in result.output


def test_an_invalid_file_among_several_stores_nothing(tmp_path):
    db = str(tmp_path / "r.db")
    bad = tmp_path / "bad.yaml"
    bad.write_text("client: {id: X}\n")
    result = run("record", "add", "young-child-brainstem", str(bad), "--db", db)
    assert result.exit_code == 2
    assert open_record(db).verify()[1][0].startswith("intact: 0 audit events")


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path):
    for db, message in ((str(tmp_path), "is not a file"), ("mysql://x@y/z", "mysql is not supported"),
                        (str(tmp_path / "no" / "r.db"), "its directory does not exist"),
                        ("postgresql://nobody:secret@127.0.0.1:1/x", "cannot open the case record")):
        result = run("record", "due", "--db", db)
        assert result.exit_code == 2 and message in result.output, result.output
        assert "secret" not in result.output


def test_verify_exits_1_on_a_tampered_record(tmp_path):
    db = str(tmp_path / "r.db")
    loop(db)
    _around_the_triggers(db, "UPDATE decision SET note = 'edited' WHERE id = 1")
    result = run("record", "verify", "--db", db)
    assert result.exit_code == 1 and "decision D1: changed after audit event" in result.output


def test_the_database_url_never_shows_a_password():
    from planner.record.db import shown

    assert "secret" not in shown(make_url("postgresql://u:secret@h/db"))


def test_kb_check_finds_a_broken_decision_code_set(tmp_path):
    import shutil

    from planner.api import check_knowledge_base
    from planner.resources import data_dir

    kb = tmp_path / "kb"
    shutil.copytree(data_dir("knowledge_base"), kb)
    path = kb / "decisions.yaml"
    path.write_text(path.read_text().replace("system: seqplan, status: active,\n     label: \"Safety",
                                             "system: nowhere, status: active,\n     label: \"Safety"))
    _, problems = check_knowledge_base(kb)
    assert problems == ["decisions.yaml: reason safety-first: system 'nowhere' is not one of systems"]


def test_a_stored_plan_reproduces_byte_for_byte_and_a_changed_one_does_not(db, tmp_path):
    rec, first = loop(db)
    rec.add([later(tmp_path, cardiovascular=6)], by="Dr A")
    second, _ = rec.plan("EX-001", by="Dr A")
    assert rec.reproduce(first, by="auditor")[0]
    assert rec.reproduce(f"P{second}", by="auditor") == (True, [
        f"reproduced: P{second} follows from A2 with seqplan-kb {rec.kb.version}, byte for byte"])
    _around_the_triggers(db, "UPDATE plan SET plan_json = replace(plan_json, '\"Drumming\"', '\"Hydrotherapy\"') "
                             f"WHERE id = {first}")
    reproduced, lines = rec.reproduce(first, by="auditor")
    assert not reproduced and lines[0] == f"not reproduced: P{first}"
    assert any("Hydrotherapy" in line for line in lines)


def test_csv_rows_are_added_as_one_assessment_each(tmp_path):
    from planner.api import blank_assessment
    from planner.kb.knowledge import load_knowledge_base

    rows = [line for line in blank_assessment("csv").splitlines() if line and not line.startswith("#")]
    header = rows[0].split(",")
    values = {"client_id": "CSV-1", "age_years": "8", "assessed_on": "2026-09-01",
              **{f: "6" for f in load_knowledge_base().functions}}
    line = ",".join(values.get(column, "") for column in header)
    path = tmp_path / "caseload.csv"
    path.write_text("\n".join([rows[0], line, line.replace("CSV-1", "CSV-2")]) + "\n")
    lines = open_record(str(tmp_path / "r.db")).add([path], by="Dr A")
    assert [line.split(": ")[1][:8] for line in lines] == ["added A1", "added A2"]
    assert "row 2" in lines[0] and "(CSV-1, 2026-09-01)" in lines[0]


def test_the_current_plan_exports_to_fhir_as_decided_and_signed(db):
    """A signed plan is the plan (active), verified by the clinician who signed it; the
    replaced step carries the chosen activity; the bundle is valid R4."""
    from planner.api import record_export
    from tests.fhir_validation import validate

    rec, plan_id = loop(db)
    bundle = json.loads(record_export("EX-001", db=db, by="auditor", fmt="fhir"))
    assert validate(bundle) == []
    kinds = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    assert (kinds["CarePlan"]["status"], kinds["CarePlan"]["intent"]) == ("active", "plan")
    verifier = [a for a in kinds["Provenance"]["agent"] if a["type"]["coding"][0]["code"] == "verifier"]
    assert verifier[0]["who"]["display"] == "Dr A (Clinical psychologist)"
    titles = [a["title"] for phase in kinds["RequestGroup"]["action"] for a in phase.get("action", [])]
    assert "Swinging" in titles and "Drumming" not in titles and "Nature walks" in titles


def test_fuzzed_record_commands_answer_in_one_line_or_succeed(tmp_path):
    """Seeded: 2,000 record commands (SEQPLAN_FUZZ_CASES for more) with arguments drawn from valid ones, near misses and
    hostile text. Each exits 0, 1 or 2; an error is one line; no traceback; and the record
    still verifies after all of them."""
    import random

    db = str(tmp_path / "r.db")
    loop(db)
    run("record", "plan", "EX-001", "--db", db)
    rng = random.Random(19)
    hostile = ["", " ", "P", "P0", "P-1", "P99999999999999999999", "S1\n", "\x1b[31m", "\ud800", "' OR 1=1 --",
               "%", "_", "Z" * 5000, "😀", "../../etc/passwd", "D1", "A1", "swinging", "S2", "clinical-judgement",
               "not-convenient-feasible", "therapist", "P1", "P2", "EX-001", "nature_walks", "1e309", "-1"]
    commands = [("decide", "PLAN", "STEP", "--accept"), ("decide", "PLAN", "STEP", "--drop", "--reason", "R"),
                ("decide", "PLAN", "STEP", "--replace", "A", "--reason", "R", "--note", "N"),
                ("decide", "PLAN", "--add", "A", "--reason", "R", "--note", "N"), ("sign", "PLAN", "--role", "R"),
                ("void", "decision", "PLAN", "--reason", "R"), ("void", "plan", "PLAN", "--reason", "R"),
                ("show", "STEP"), ("print", "PLAN"), ("export", "STEP"), ("due", "--weeks", "N"),
                ("reproduce", "PLAN"), ("plan", "STEP")]
    outcomes = {0: 0, 1: 0, 2: 0}
    for _ in range(int(os.environ.get("SEQPLAN_FUZZ_CASES", 2000))):     # 5,000+ for a release
        command = [rng.choice(hostile) if part.isupper() else part for part in rng.choice(commands)]
        result = CliRunner().invoke(main, ["record", *command, "--db", db, "--by", rng.choice(hostile[1:] + ["Dr A"])],
                                    env={"SEQPLAN_USER": "Dr A"})
        assert result.exit_code in outcomes, (command, result.output, result.exception)
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
            (command, repr(result.exception))
        if result.exit_code == 2:
            assert result.output.count("\n") == 1 and result.output.startswith("seqplan: error: "), command
        outcomes[result.exit_code] += 1
    assert outcomes[0] and outcomes[2]
    assert open_record(db).verify()[0]


def test_due_says_when_a_newer_plan_waits_to_be_signed(db, tmp_path):
    import datetime as dt

    rec, first = loop(db)
    rec.add([later(tmp_path, cardiovascular=6)], by="Dr A")
    [due] = rec.due(weeks=4, today=dt.date(2027, 1, 1), by="Dr A")
    assert due["plan"] == f"P{first}" and due["newer_assessment"] and due["newer_draft"] is None
    second, _ = rec.plan("EX-001", by="Dr A")
    [due] = rec.due(weeks=4, today=dt.date(2027, 1, 1), by="Dr A")
    assert due["newer_draft"] == f"P{second}" and not due["newer_assessment"]
