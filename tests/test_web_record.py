"""The case-record pages of the web app through Flask's test client, on SQLite and (with
SEQPLAN_TEST_PG) PostgreSQL: who may see and do what, CSRF and same-origin checks, the
lockout, cookie flags, escaping of every free-text field, audited reads, the caseload's
filters, sorting and CSV, and the assessment form's messages beside their fields."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from planner.api import open_record

PASSWORD = "correct horse battery"
USERS = {"Dr A": "therapist", "Dr B": "therapist", "Sam Super": "supervisor", "Ann Audit": "auditor",
         "Tom Train": "trainer"}


def record_app(db, users, children):
    """The web app on a record with ``users`` ({name: role}, password PASSWORD) and each
    (example, client id, therapist) of ``children`` added and planned by that therapist."""
    from planner.record.users import add_user
    from planner.web.app import create_app

    rec = open_record(db)
    for name, role in users.items():
        add_user(rec, name, role, PASSWORD, by="admin")
    for example, client, therapist in children:
        rec.add([example], by=therapist)
        rec.plan(client, by=therapist)
    app = create_app(db=db)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def site(db):
    """(app, db): a record with EX-001 added and planned (P1) by Dr A, and one user per role."""
    return record_app(db, USERS, [("young-child-brainstem", "EX-001", "Dr A")]), db


def token(client, url="/login"):
    return re.search(r'name="csrf" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def logged_in(app, name, client=None):
    client = client or app.test_client()
    r = client.post("/login", data={"name": name, "password": PASSWORD, "csrf": token(client)})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def events(db, **where):
    from planner.record import tables as t

    with open_record(db).engine.connect() as conn:
        rows = conn.execute(select(t.audit_event).order_by(t.audit_event.c.seq)).mappings().all()
    return [r for r in rows if all(r[k] == v for k, v in where.items())]


def test_with_users_every_page_asks_for_a_login(site):
    app, _ = site
    client = app.test_client()
    for url in ("/", "/caseload", "/child/EX-001", "/plan/P1", "/assess"):
        r = client.get(url)
        assert r.status_code == 302 and r.location.startswith("/login"), url


def test_on_loopback_without_users_there_is_one_local_user_and_no_login(db):
    from planner.web.app import create_app

    rec = open_record(db)
    rec.add(["young-child-brainstem"], by="someone")
    client = create_app(db=db).test_client()
    assert client.get("/caseload").status_code == 200
    assert "EX-001" in client.get("/caseload").get_data(as_text=True)
    assert client.get("/login").status_code == 302           # nothing to log in to


def test_every_write_without_a_csrf_token_is_refused(site):
    app, _ = site
    client = logged_in(app, "Dr A")
    # every POST a browser makes (CDS Hooks is called server to server: planner/web/cds.py)
    posts = sorted({rule.rule for rule in app.url_map.iter_rules()
                    if "POST" in rule.methods and not rule.endpoint.startswith("cds.")})
    assert "/plan/<plan>/decide" in posts and "/api/plan" in posts and "/login" in posts
    for rule in posts:
        url = rule.replace("<plan>", "P1").replace("<ref>", "EX-001")
        form = client.post(url, data={"step": "S1", "action": "accept", "role": "therapist"})
        assert form.status_code == 403, url
        as_json = client.post(url, json={"assessment": {}}, headers={"X-CSRF-Token": "forged"})
        assert as_json.status_code == 403, url
    assert not events(app.config["SEQPLAN_DB"], action="decide")
    assert client.post("/plan/P1/decide", data={"step": "S1", "action": "accept", "csrf": token(client, "/plan/P1")}
                       ).status_code == 302


def test_a_trainer_cannot_read_a_record(site):
    app, db = site
    client = logged_in(app, "Tom Train")
    assert client.get("/").status_code == 200                       # the trainer pages
    for url in ("/caseload", "/caseload.csv", "/child/EX-001", "/plan/P1", "/plan/P1/print",
                "/child/EX-001/audit", "/assess"):
        assert client.get(url).status_code == 403, url
    assert not events(db, actor="Tom Train", action="read")


def test_a_therapist_cannot_read_another_therapists_child_until_assigned(site):
    app, db = site
    b = logged_in(app, "Dr B")
    assert "EX-001" not in b.get("/caseload").get_data(as_text=True)
    for url in ("/child/EX-001", "/plan/P1", "/plan/P1/print?for=caregiver", "/child/EX-001/audit"):
        assert b.get(url).status_code == 403, url
    csrf = token(b, "/caseload")
    assert b.post("/plan/P1/decide", data={"csrf": csrf, "step": "S1", "action": "accept"}).status_code == 403
    assert b.post("/plan/P1/sign", data={"csrf": csrf, "role": "therapist"}).status_code == 403
    assert b.post("/child/EX-001/assign", data={"csrf": csrf, "clinician": "Dr B"}).status_code == 403
    assert not events(db, actor="Dr B", child_ref="EX-001")
    sup = logged_in(app, "Sam Super")
    r = sup.post("/child/EX-001/assign", data={"csrf": token(sup, "/child/EX-001"), "clinician": "Dr B",
                                               "action": "assign"})
    assert r.status_code == 302
    assert b.get("/child/EX-001").status_code == 200
    assert "EX-001" in b.get("/caseload").get_data(as_text=True)


def test_the_login_is_refused_after_the_lockout(site):
    from planner.record.users import MAX_FAILURES

    app, _ = site
    client = app.test_client()
    for _ in range(MAX_FAILURES):
        r = client.post("/login", data={"name": "Dr A", "password": "wrong", "csrf": token(client)})
        assert r.status_code == 401
    r = client.post("/login", data={"name": "Dr A", "password": PASSWORD, "csrf": token(client)})
    assert r.status_code == 401 and "too many attempts" in r.get_data(as_text=True)
    assert client.get("/caseload").status_code == 302
    unknown = client.post("/login", data={"name": "Nobody", "password": PASSWORD, "csrf": token(client)})
    assert unknown.get_data(as_text=True).count("wrong name or password") == 1     # the same answer
    logged_in(app, "Dr B")                                                   # others are not locked


def test_a_host_header_of_another_site_is_refused(site):
    app, _ = site
    client = app.test_client()
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/login", headers={"Host": "127.0.0.1:8765"}).status_code == 200


def test_a_cross_origin_post_is_refused_even_with_a_token(site):
    app, _ = site
    client = logged_in(app, "Dr A")
    csrf = token(client, "/plan/P1")
    data = {"csrf": csrf, "step": "S1", "action": "accept"}
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Referer": "http://evil.example/page"}):
        assert client.post("/plan/P1/decide", data=data, headers=headers).status_code == 403, headers
    assert client.post("/plan/P1/decide", data=data, headers={"Origin": "http://localhost"}).status_code == 302


def test_session_cookie_flags(site):
    from planner.web.app import create_app

    app, db = site
    client = app.test_client()
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie   # plain http, loopback
    public = create_app(db=db, trusted_hosts=["clinic.example"], public=True)
    client = public.test_client()
    r = client.get("/login", base_url="https://clinic.example")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie
    before = client.get_cookie("seqplan_session", domain="clinic.example").value
    csrf = re.search(r'name="csrf" value="([^"]+)"', r.get_data(as_text=True)).group(1)
    r = client.post("/login", data={"name": "Dr A", "password": PASSWORD, "csrf": csrf}, base_url="https://clinic.example")
    assert r.status_code == 302 and "Secure" in r.headers["Set-Cookie"]
    assert client.get_cookie("seqplan_session", domain="clinic.example").value != before   # a new session at login


def test_a_public_server_without_users_refuses_to_start(tmp_path):
    from planner.record.db import RecordError
    from planner.web.server import run

    with pytest.raises(RecordError, match="only with logins"):
        run("0.0.0.0", 0, db=str(tmp_path / "r.db"))


XSS = '<script>alert(1)</script>'


def test_free_text_is_rendered_escaped_everywhere(db):
    from planner.record.users import add_user
    from planner.web.app import create_app

    rec = open_record(db)
    add_user(rec, "Dr " + XSS, "supervisor", PASSWORD, by="admin")
    app = create_app(db=db)
    client = logged_in(app, "Dr " + XSS)
    form = {"csrf": token(client, "/assess"), "client.id": "X-1", "client.name": XSS, "client.age_years": "8",
            "assessed_on": "2026-11-02", "assessor": XSS, "context.interests": f"music, {XSS}",
            "context.notes": XSS, **{f"functioning.{f}": "6" for f in rec.kb.functions}}
    r = client.post("/assess", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)
    plan = r.location.rsplit("/", 1)[1]
    csrf = token(client, r.location)
    client.post(f"/plan/{plan}/decide", data={"csrf": csrf, "step": "S1", "action": "drop",
                                              "reason": "clinical-judgement", "note": XSS})
    bad_reason = client.post(f"/plan/{plan}/decide", data={"csrf": csrf, "step": "S1", "action": "drop",
                                                           "reason": XSS})
    assert bad_reason.status_code == 422
    pages = [bad_reason] + [client.get(u) for u in ("/caseload", "/child/X-1", f"/plan/{plan}", f"/plan/{plan}/print",
                                                   f"/plan/{plan}/print?for=caregiver", "/child/X-1/audit")]
    pages.append(client.post("/assess", data=dict(form, **{"client.age_years": XSS})))
    for page in pages:
        text = page.get_data(as_text=True)
        assert "<script>" not in text, page.request.path
    assert "&lt;script&gt;" in pages[1].get_data(as_text=True) and "&lt;script&gt;" in pages[3].get_data(as_text=True)
    csv = client.get("/caseload.csv")        # a download, never shown as a page
    assert csv.mimetype == "text/csv" and csv.headers["X-Content-Type-Options"] == "nosniff"
    assert csv.headers["Content-Disposition"].startswith("attachment")


def test_every_view_of_a_child_is_an_audit_event_in_the_users_name(site):
    app, db = site
    client = logged_in(app, "Dr A")
    for url in ("/child/EX-001", "/plan/P1", "/plan/P1/print", "/plan/P1/print?for=teacher"):
        assert client.get(url).status_code == 200
    import json

    purposes = [json.loads(e["detail"])["purpose"] for e in events(db, actor="Dr A", action="read")]
    assert purposes == ["show", "review", "print html", "print teacher"]
    client.get("/caseload")
    assert json.loads(events(db, actor="Dr A", action="read")[-1]["detail"])["purpose"] == "caseload"


def test_an_auditor_sees_the_events_and_reproduces_but_cannot_sign(site):
    app, db = site
    client = logged_in(app, "Ann Audit")
    html = client.get("/child/EX-001/audit").get_data(as_text=True)
    assert 'id="verify-status">intact' in html and "Dr A" in html
    assert "reproduced" in client.get("/plan/P1/reproduce").get_data(as_text=True)
    review = client.get("/plan/P1").get_data(as_text=True)
    assert 'id="sign"' not in review and 'class="decide"' not in review
    csrf = token(client, "/plan/P1")
    assert client.post("/plan/P1/sign", data={"csrf": csrf, "role": "therapist"}).status_code == 403
    assert client.post("/plan/P1/decide", data={"csrf": csrf, "step": "S1", "action": "accept"}).status_code == 403
    assert client.get("/assess").status_code == 403
    assert not events(db, actor="Ann Audit", action="sign")


def test_a_therapist_cannot_open_the_audit_view(site):
    app, _ = site
    assert logged_in(app, "Dr A").get("/child/EX-001/audit").status_code == 403


def test_caseload_overdue_first_filters_sorting_and_csv(site, tmp_path):
    import yaml

    from tests.conftest import EXAMPLES_DIR

    app, db = site
    rec = open_record(db)
    data = yaml.safe_load((EXAMPLES_DIR / "middle-limbic.yaml").read_text())
    data["client"]["id"], data["assessed_on"] = "EX-9", "2020-01-06"       # long overdue
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(data))
    rec.add([path], by="Dr A")
    rec.plan("EX-9", by="Dr A")
    client = logged_in(app, "Dr A")
    rows = re.findall(r'<tr data-child="([^"]+)"', client.get("/caseload").get_data(as_text=True))
    assert rows == ["EX-9", "EX-001"]
    def order(query):
        return re.findall(r'<tr data-child="([^"]+)"', client.get("/caseload" + query).get_data(as_text=True))

    assert order("?sort=child") == ["EX-001", "EX-9"] and order("?sort=child&order=desc") == ["EX-9", "EX-001"]
    assert "EX-9" in order("?overdue=1")
    assert order("?low_relational=1&referrals=1") == ["EX-001"]           # relational health 4; referrals
    high = client.get("/caseload?high_arousal=1").get_data(as_text=True)
    assert 'data-child="EX-001"' in high                                      # alarm
    csv_text = client.get("/caseload.csv?sort=child").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("child,name,last_assessed,plan,status,review_due")
    assert [line.split(",")[0] for line in csv_text.splitlines()[1:]] == ["EX-001", "EX-9"]


def test_the_form_shows_the_clis_message_beside_the_field_and_keeps_what_was_typed(site):
    app, db = site
    client = logged_in(app, "Dr A")
    form = {"csrf": token(client, "/assess"), "client.id": "F-1", "client.age_years": "6", "assessed_on": "2026-11-02",
            "functioning.sleep": "7o", "functioning.cardiovascular": "4"}
    r = client.post("/assess", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    beside = re.search(r'id="f-functioning.sleep" value="7o"[^>]*>\s*<span class="field-error"[^>]*>([^<]+)', html)
    assert beside and beside.group(1) == "must be a whole number, got &#34;7o&#34;"
    assert "F-1" not in client.get("/caseload").get_data(as_text=True)       # nothing stored
    r = client.post("/assess", data=dict(form, **{"functioning.sleep": "7"}))
    assert r.status_code == 302 and r.location == "/plan/P2"
    assert "Dr A" == open_record(db).child_record("F-1", by="test")["assessments"][0]["added_by"]


def test_an_upload_is_stored_and_planned_and_a_bad_one_names_the_line(site):
    from tests.conftest import EXAMPLES_DIR

    app, db = site
    client = logged_in(app, "Dr A")
    text = (EXAMPLES_DIR / "teen-cortical.yaml").read_text()
    r = client.post("/assess", data={"csrf": token(client, "/assess"), "file": (__import__("io").BytesIO(
        text.replace("sleep:", "slep:").encode()), "teen.yaml")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "teen.yaml line" in r.get_data(as_text=True)
    assert "did you mean" in r.get_data(as_text=True)
    r = client.post("/assess", data={"csrf": token(client, "/assess"), "file": (__import__("io").BytesIO(
        text.encode()), "teen.yaml")}, content_type="multipart/form-data")
    assert r.status_code == 302
    sources = [a["source"] for a in open_record(db).child_record("EX-002", by="test")["assessments"]]
    assert sources == ["teen.yaml (uploaded by Dr A)"]


def test_a_therapist_cannot_add_an_assessment_to_another_therapists_child(site):
    from tests.conftest import EXAMPLES_DIR

    app, _ = site
    client = logged_in(app, "Dr B")
    r = client.post("/assess", data={"csrf": token(client, "/assess"), "file": (
        (EXAMPLES_DIR / "young-child-brainstem-followup.yaml").open("rb"), "f.yaml")}, content_type="multipart/form-data")
    assert r.status_code == 400 and "another clinician" in r.get_data(as_text=True)


def test_users_add_and_list_from_the_command_line(tmp_path):
    from click.testing import CliRunner

    from planner.cli import main

    db = str(tmp_path / "r.db")
    runner = CliRunner()
    added = runner.invoke(main, ["users", "add", "Dr A", "--role", "therapist", "--db", db, "--by", "admin"],
                          input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0 and "Dr A: added as a therapist" in added.output
    listed = runner.invoke(main, ["users", "list", "--db", db])
    assert listed.output.startswith("Dr A\ttherapist\tadded ") and PASSWORD not in listed.output
    for args, message in ((["Dr B", "--role", "boss", "--password", PASSWORD], "--role: 'boss' is not a role"),
                          (["Dr A", "--role", "auditor", "--password", PASSWORD], "Dr A: is a user already"),
                          (["Dr C", "--role", "auditor", "--password", "short"], "shorter than 10 characters")):
        refused = runner.invoke(main, ["users", "add", *args, "--db", db])
        assert refused.exit_code == 2 and message in refused.output and refused.output.count("\n") == 1
