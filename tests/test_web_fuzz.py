"""Seeded fuzz of every POST route of the web app (issue 25, the web form fuzz): the login,
the trainer's /case and /download, the page's /ui/* calls, the JSON API, the case record's
forms (add an assessment, decide, sign, assign) and the CDS Hooks endpoints, through Flask's
test client, logged in with each role (and with none). Bodies start from a valid request and
are mutated: wrong types, huge strings, lone surrogates, NULs, noncharacters, deep nesting,
missing and extra fields, duplicate keys, broken bytes, bad content types, oversized bodies,
missing or forged CSRF tokens and cross-site Origins.

Every answer: no 5xx; no traceback text; an API path's error is a JSON body with a message;
a form's error a 4xx page (or JSON body) naming the problem; no redirect off the site; no
request longer than ``HANG_SECONDS``. A refused request changes no row of the case record
but read events (nothing partially stored), and the record verifies intact afterwards.

SEQPLAN_FUZZ_CASES sets the requests per route (300 by default; 5,000+ for a release):
    SEQPLAN_FUZZ_CASES=5000 pytest -q tests/test_web_fuzz.py
"""
from __future__ import annotations

import json
import logging
import os
import random
import re
import signal
import time
from urllib.parse import quote_from_bytes, urlsplit

import pytest
import yaml
from sqlalchemy import func, select

from tests.conftest import EXAMPLES_DIR
from tests.test_web_record import PASSWORD      # the password record_app gives every user

CASES = int(os.environ.get("SEQPLAN_FUZZ_CASES", 300))
HANG_SECONDS = 60          # the server's own worker timeout: anything longer is a hang
USERS = {"Dr A": "therapist", "Dr B": "therapist", "Sam Super": "supervisor", "Ann Audit": "auditor",
         "Tom Train": "trainer"}
EXAMPLE = yaml.safe_load((EXAMPLES_DIR / "young-child-brainstem.yaml").read_text("utf-8"))
EXAMPLE = json.loads(json.dumps(EXAMPLE, default=str))
EXAMPLE_TEXT = (EXAMPLES_DIR / "middle-limbic.yaml").read_text("utf-8")

# Hostile values (JSON) and strings (forms). "DEEP:n" becomes a list nested n deep.
STRINGS = ["", " ", "x" * 70_000, "y" * 300_000, "\ud800", "a\udfffb", "\x00", "a\x00b", "\ufffe", "\uffff",
           "\U0010ffff", "\u202e", "\x1b[31m", "<script>alert(1)</script>", "{{7*7}}", "' OR 1=1 --",
           "../../etc/passwd", "S1", "S99", "P1", "P2", "P0", "P-1", "P99999999999999999999", "EX-001", "EX-002",
           "calm", "terror", "sleep=3", "2026-02-30", "2026-11-02", "1e309", "-1", "13", "NaN", "😀" * 50,
           "Dr A", "Dr B", "clinical-judgement", "therapist", "accept", "drop", "add", "replace", "swinging",
           "%s%n", "\r\n", "\t", "é", "ǅ", "\u2028", "null", "[]", "{}", "\\", '"', "Z" * 5000]
VALUES = STRINGS + [None, True, False, 0, -1, 1.5, -0.0, 1e308, float("nan"), float("inf"), 2 ** 64, -2 ** 63,
                    "DIGITS:5000", [], {}, [1], {"a": 1}, "DEEP:50", "DEEP:5000", "DEEP:100000", ["S1"] * 1000,
                    {f"k{i}": i for i in range(2000)}]
KEYS = ["extra", "", "\ud800", "\x00", "k" * 1000, "__class__", "assessment", "set", "baseline", "format", "target",
        "kind", "client", "functioning", "current", "context", "sleep", "hook", "prefetch"]
FIELD_NAMES = [b"context", b"client", b"functioning", b"current", b".", b"a..b", b"context.", b"client.id.x",
               b"functioning.sleep.x", b"\x00", b"n" * 3000, b"csrf", b"step", b"action", b"role", b"fmt", b"set",
               b"assessment", b"text", b"file", b"name", b"password", b"next", b"\xed\xa0\x80", b"\xff",
               b"context.interests", b"client.id", b"assessed_on", b"current.arousal", b"__proto__"]
RAW = [b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\xaf", b"\x00", b"\xef\xbf\xbe", b"\x80", b"%", b"%zz", b"&", b"="]


class _Logged(logging.Handler):
    def emit(self, record):
        LOGGED.append(self.format(record)[-1500:])


LOGGED = []


class Hang(BaseException):
    """Raised by the alarm in a request that takes longer than HANG_SECONDS (a BaseException,
    so that no error handler of the app answers it)."""


def _alarm(*_):
    raise Hang()


# ------------------------------------------------------------------------------ the site

@pytest.fixture
def site(db):
    """(record app, open trainer app, db): P1 (EX-001) is Dr A's, P2 (EX-002) Dr B's."""
    from tests.test_web_record import record_app

    app = record_app(db, USERS, [("young-child-brainstem", "EX-001", "Dr A"), ("teen-cortical", "EX-002", "Dr B")])
    return app, _open_app(), db


_OPEN = []


def _open_app():
    from planner.web.app import create_app

    if not _OPEN:
        _OPEN.append(create_app())
    return _OPEN[0]


def _login(app, name):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf}).status_code == 302
    with client.session_transaction() as session:
        return client, session["csrf"]


class Fuzz:
    """One route's fuzz: sends requests, checks each answer, counts tries and outcomes."""

    def __init__(self, site, route, seed):
        self.app, self.open_app, self.db = site
        self.route, self.rng = route, random.Random(f"{route}-{seed}")
        self.clients = {name: _login(self.app, name) for name in USERS}
        self.clients[None] = (self.app.test_client(), None)
        self.statuses = {}
        for app in (self.app, self.open_app):
            if not any(isinstance(h, _Logged) for h in app.logger.handlers):
                app.logger.addHandler(_Logged())
        LOGGED.clear()
        from planner.api import open_record

        self.engine = open_record(self.db).engine

    # -------------------------------------------------------------- choices

    def pick(self, options):
        return self.rng.choice(options)

    def who(self, weights=None):
        """(client, its CSRF token, name): mostly a logged-in user of any role."""
        names = list(USERS) + [None]
        name = self.rng.choices(names, weights or [3, 2, 3, 2, 2, 1])[0]
        client, csrf = self.clients[name]
        return client, csrf, name

    def headers(self, csrf):
        """The CSRF header and Origin a request carries: mostly right, sometimes not."""
        headers, roll = {}, self.rng.random()
        if csrf and roll < 0.8:
            headers["X-CSRF-Token"] = csrf
        elif roll < 0.9:
            headers["X-CSRF-Token"] = self.pick(["forged", "", "x" * 5000, (csrf or "")[:-1]])
        roll = self.rng.random()
        if roll < 0.05:
            headers["Origin"] = self.pick(["http://evil.example", "null", "http://localhost.evil.example"])
        elif roll < 0.08:
            headers["Referer"] = "http://evil.example/page"
        elif roll < 0.15:
            headers["Origin"] = "http://localhost"
        return headers

    def value(self):
        v = self.pick(VALUES)
        return json.loads(json.dumps(v)) if isinstance(v, (list, dict)) else v    # a fresh copy

    def text(self):
        return self.pick(STRINGS + [str(self.rng.randint(-5, 30)), str(self.rng.random() * 20)])

    # -------------------------------------------------------------- JSON bodies

    def mutate_json(self, body):
        body = json.loads(json.dumps(body))
        for _ in range(self.rng.randint(0, 4)):
            places = list(_places(body))
            if not places:
                break
            parent, key = self.pick(places)
            kind = self.rng.random()
            if kind < 0.5:
                parent[key] = self.value()
            elif kind < 0.7 and isinstance(parent, dict):
                del parent[key]
            elif kind < 0.85 and isinstance(parent, dict):
                parent[self.pick(KEYS)] = self.value()
            elif isinstance(parent, list):
                parent.append(self.value())
            elif isinstance(parent, dict):      # rename a key
                parent[key + self.pick(["_", "s", "\u200b", "\ud800", " "])] = parent.pop(key)
        return body

    def json_bytes(self, body):
        """A body's bytes: JSON (NaN and lone surrogates as Python writes them), then maybe
        broken at the byte level; and a content type."""
        deep = {}

        def placeholder(value):
            if isinstance(value, str) and value.startswith("DEEP:"):
                deep[f'"{value}"'] = "[" * int(value[5:]) + "]" * int(value[5:])
            elif isinstance(value, str) and value.startswith("DIGITS:"):
                deep[f'"{value}"'] = "9" * int(value[7:])
            elif isinstance(value, dict):
                for v in value.values():
                    placeholder(v)
            elif isinstance(value, list):
                for v in value:
                    placeholder(v)

        placeholder(body)
        text = json.dumps(body)
        for token, raw in deep.items():
            text = text.replace(token, raw)
        data = text.encode("utf-8", "surrogatepass")
        roll = self.rng.random()
        if roll < 0.04:
            data = data[:self.rng.randint(0, len(data))]
        elif roll < 0.08:
            at = self.rng.randint(0, len(data))
            data = data[:at] + self.pick(RAW) + data[at:]
        elif roll < 0.11:
            data = self.pick([b"", b"null", b"[]", b"1", b'"x"', b"NaN", b"[" * 100_000 + b"]" * 100_000,
                              b"\xef\xbb\xbf{}", b"{}" * 3, b'{"a":1}garbage'])
        elif roll < 0.14 and data.startswith(b"{") and len(data) > 2:     # a duplicate key, forged value first
            data = b'{"assessment": {"format": "forged"}, ' + data[1:]
        elif roll < 0.16:
            data = data + b" " * (300 * 1024)                          # over the request limit
        roll = self.rng.random()
        ctype = "application/json" if roll < 0.85 else self.pick(
            ["text/plain", None, "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
             "application/json; charset=utf-16", "application/merge-patch+json", "application/json\x00"])
        return data, ctype

    # -------------------------------------------------------------- forms

    def mutate_form(self, pairs):
        """pairs: [(name bytes, value bytes)], mutated a few times."""
        pairs = list(pairs)
        for _ in range(self.rng.randint(0, 4)):
            kind = self.rng.random()
            if kind < 0.45 and pairs:
                i = self.rng.randrange(len(pairs))
                pairs[i] = (pairs[i][0], self.form_value())
            elif kind < 0.6 and pairs:
                pairs.pop(self.rng.randrange(len(pairs)))
            elif kind < 0.7 and pairs:
                pairs.insert(0, self.pick(pairs)[:1] + (self.form_value(),))    # the same name twice
            else:
                pairs.append((self.pick(FIELD_NAMES), self.form_value()))
        return pairs

    def form_value(self):
        if self.rng.random() < 0.15:
            return self.pick(RAW) + self.text().encode("utf-8", "surrogatepass")
        return self.text().encode("utf-8", "surrogatepass")

    def form_bytes(self, pairs, files=()):
        """Encoded as a browser would (urlencoded, or multipart with files), sometimes not."""
        roll = self.rng.random()
        if files or roll < 0.2:
            boundary = b"fuzzboundary7MA4YWxkTrZu0gW"
            out = b""
            for name, value in pairs:
                out += b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value + b"\r\n"
            for name, filename, content in files:
                out += (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + name + b'"; filename="'
                        + filename + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + content + b"\r\n")
            out += b"--" + boundary + b"--\r\n"
            if self.rng.random() < 0.05:
                out = out[:self.rng.randint(0, len(out))]
            return out, "multipart/form-data; boundary=" + boundary.decode()
        data = b"&".join(quote_from_bytes(n).encode() + b"=" + quote_from_bytes(v).encode() for n, v in pairs)
        if roll < 0.25:
            return data, self.pick(["application/json", "text/plain", None, "multipart/form-data"])
        if roll < 0.27:
            data += b"&pad=" + b"p" * (300 * 1024)
        return data, "application/x-www-form-urlencoded"

    def with_csrf(self, pairs, csrf):
        roll = self.rng.random()
        if csrf and roll < 0.85:
            return [(b"csrf", csrf.encode())] + pairs
        if roll < 0.93:
            return [(b"csrf", self.pick([b"forged", b"", (csrf or "x").encode()[:-1], b"\x00"]))] + pairs
        return pairs

    def upload(self):
        """(filename, bytes): an example file, mutated a little, under a name of any kind."""
        text = self.pick([EXAMPLE_TEXT, json.dumps(EXAMPLE), "client_id,age_years\nEX-9,8\n"])
        for _ in range(self.rng.randint(0, 3)):
            at = self.rng.randint(0, len(text))
            text = text[:at] + self.text()[:200] + text[at + self.rng.randint(0, 20):]
        data = text.encode("utf-8", "surrogatepass")
        if self.rng.random() < 0.1:
            data = data[:50] + self.pick(RAW) + data[50:]
        name = self.pick([b"child.yaml", b"child.json", b"child.csv", b"child.yml", b"child.exe", b"", b"child",
                          b"../../etc/passwd.yaml", b"a\x00.yaml", b"n" * 300 + b".yaml", b"\xff.json", b".yaml",
                          b"con.yaml", b"child.YAML"])
        return name, data

    # -------------------------------------------------------------- sending and checking

    def send(self, client, path, data, ctype, headers, api, store):
        before = self.rows() if store else None
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
        start = time.monotonic()
        try:
            response = client.post(path, data=data, content_type=ctype, headers=headers)
        except Hang:
            pytest.fail(f"{self.route}: a request took more than {HANG_SECONDS} s: {data[:300]!r}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        took = time.monotonic() - start
        self.check(response, path, data, api, took)
        if store:
            self.check_store(before, response, data)
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        return response

    def check(self, response, path, data, api, took):
        status, body = response.status_code, response.get_data()
        shown = (path, status, body[:400], data[:300], LOGGED[-1:])
        assert status < 500, shown
        assert b"Traceback" not in body and b'File "/' not in body, shown
        assert took < HANG_SECONDS, shown
        if 300 <= status < 400:
            assert urlsplit(response.location).netloc in ("", "localhost"), shown
        if status < 400:
            return
        if api or response.is_json:
            answer = response.get_json(silent=True)
            assert response.is_json and isinstance(answer, dict), shown
            assert isinstance(answer["error"]["message"], str) and answer["error"]["message"].strip(), shown
        else:
            html = body.decode("utf-8")
            named = re.search(r'(?:role="alert"|class="errors?"|class="field-error")[^>]*>\s*(?:<[^>]+>\s*)*[^<\s]',
                              html) or re.search(r"<title>\d{3} [^<]+</title>\s*<h1>[^<]+</h1>\s*<p>[^<]*\w", html)
            assert named, shown

    def rows(self):
        return _rows(self.engine)

    def check_store(self, before, response, data):
        after = self.rows()
        assert all(after[k] >= before[k] for k in before), (before, after)
        if response.status_code >= 400:
            assert after == before, (self.route, response.status_code, before, after, data[:300])

    def report(self):
        print(f"\n{self.route}: {sum(self.statuses.values())} requests, statuses {dict(sorted(self.statuses.items()))}")


def _rows(engine):
    """Rows of each table of the record (audit events but reads: a refused request reads)."""
    from planner.record import tables as t

    with engine.connect() as conn:
        counts = {table.name: conn.execute(select(func.count()).select_from(table)).scalar()
                  for table in (t.child, t.assessment, t.plan, t.decision, t.signature, t.void, t.assignment,
                                t.app_user)}
        counts["events"] = conn.execute(select(func.count()).select_from(t.audit_event).where(
            t.audit_event.c.action != "read")).scalar()
    return counts


def _places(value):
    """(container, key) of every value inside ``value``."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield value, key
            yield from _places(inner)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield value, i
            yield from _places(inner)


# ------------------------------------------------------------------------------ the routes

def _trainer_client(fuzz):
    """Half the time the open trainer (no login, no CSRF), else the record's app as anyone."""
    if fuzz.rng.random() < 0.5:
        return fuzz.open_app.test_client(), None
    client, csrf, _ = fuzz.who()
    return client, csrf


def _json_route(path, base):
    def one(fuzz, n):
        client, csrf = _trainer_client(fuzz)
        data, ctype = fuzz.json_bytes(fuzz.mutate_json(base(fuzz)))
        fuzz.send(client, path, data, ctype, fuzz.headers(csrf), api=True, store=False)
    return one


def _assessment(fuzz):
    body = {"assessment": EXAMPLE, "set": fuzz.pick([{}, {"sleep": 3}, {"current.arousal": "calm"},
                                                      {"context.avoid": []}, ["sleep=9"]])}
    return body


def _plan_body(fuzz):
    return dict(_assessment(fuzz), format=fuzz.pick(["json", "md", "html"]))


def _whatif_body(fuzz):
    return dict(_assessment(fuzz), baseline=fuzz.pick([True, None, {}, BASELINE[0] if BASELINE else None]))


def _why_body(fuzz):
    return dict(_assessment(fuzz), target=fuzz.pick(["S1", "S2", "cbt", "swinging"]),
                kind=fuzz.pick(["why", "why-not"]))


BASELINE = []


def _case(fuzz, n):
    client, csrf = _trainer_client(fuzz)
    pairs, files = [], ()
    if fuzz.rng.random() < 0.5:
        text = EXAMPLE_TEXT
        for _ in range(fuzz.rng.randint(0, 3)):
            at = fuzz.rng.randint(0, len(text))
            text = text[:at] + fuzz.text()[:300] + text[at + fuzz.rng.randint(0, 20):]
        pairs = [(b"text", text.encode("utf-8", "surrogatepass"))]
    else:
        name, content = fuzz.upload()
        files = [(b"file", name, content)]
    pairs = fuzz.with_csrf(fuzz.mutate_form(pairs), csrf)
    data, ctype = fuzz.form_bytes(pairs, files)
    fuzz.send(client, "/case", data, ctype, fuzz.headers(None), api=False, store=False)


def _download(fuzz, n):
    client, csrf = _trainer_client(fuzz)
    body = fuzz.mutate_json(_assessment(fuzz))
    parts = fuzz.json_bytes(body.get("assessment"))[0], fuzz.json_bytes(body.get("set"))[0]
    fmt = fuzz.pick(["md", "json", "html", "yaml", "handout-caregiver", "handout-teacher", "pdf", ""]).encode()
    pairs = fuzz.with_csrf(fuzz.mutate_form([(b"fmt", fmt), (b"assessment", parts[0]), (b"set", parts[1])]), csrf)
    data, ctype = fuzz.form_bytes(pairs)
    fuzz.send(client, "/download", data, ctype, fuzz.headers(None), api=False, store=False)


def _record_form(path_of, base, weights):
    """weights: of Dr A, Dr B, Sam Super, Ann Audit, Tom Train and no one (those who may do
    it more often, so the fuzz goes past the role check)."""
    def one(fuzz, n):
        client, csrf, _ = fuzz.who(weights)
        path = path_of(fuzz)
        pairs = fuzz.with_csrf(fuzz.mutate_form(base(fuzz, n)), csrf)
        files = [(b"file",) + fuzz.upload()] if path == "/assess" and fuzz.rng.random() < 0.3 else ()
        data, ctype = fuzz.form_bytes(pairs, files)
        fuzz.send(client, path, data, ctype, fuzz.headers(None), api=False, store=True)
    return one


def _flat(mapping, prefix=""):
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flat(value, name + ".")
        elif isinstance(value, list):
            yield name, ", ".join(map(str, value))
        else:
            yield name, str(value)


def _assess_form(fuzz, n):
    mapping = json.loads(json.dumps(EXAMPLE))
    mapping.pop("format", None)
    mapping.pop("history", None)           # not on the form
    mapping["client"]["id"] = fuzz.pick([f"FZ-{n}", "EX-001", "EX-002", f"FZ-{n % 7}"])
    return [(k.encode(), v.encode()) for k, v in _flat(mapping)]


def _plan_ref(fuzz):
    return fuzz.pick(["P1", "P1", "P1", "P1", "P2", "P3", "P0", "p1", "P99999999999999999999", "X1", "P1%00", "P%F0%9F%98%80",
                      "P" + "1" * 400, "%ED%A0%80"])


def _decide_form(fuzz, n):
    return [(b"step", fuzz.pick([b"S1", b"S2", b"S3", b"", b"S99"])),
            (b"action", fuzz.pick([b"accept", b"drop", b"replace", b"add", b"defer", b"", b"sign"])),
            (b"activity", fuzz.pick([b"swinging", b"drumming", b"nature_walks", b""])),
            (b"reason", fuzz.pick([b"clinical-judgement", b"child-choice", b"safety-first", b"", b"because"])),
            (b"note", fuzz.pick([b"", b"a note", b"x" * 5000]))]


def _sign_form(fuzz, n):
    return [(b"role", fuzz.pick([b"therapist", b"supervisor", b"clinical_psychologist", b"", b"boss"]))]


def _assign_form(fuzz, n):
    return [(b"clinician", fuzz.pick([b"Dr A", b"Dr B", b"Sam Super", b"Ann Audit", b"Tom Train", b"Nobody", b""])),
            (b"action", fuzz.pick([b"assign", b"unassign", b"remove", b""]))]


def _login_route(fuzz, n):
    client = fuzz.app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    name = fuzz.pick([b"Dr A", b"Dr B", b"Sam Super", b"Ann Audit", b"Tom Train", b"Nobody", b"dr a", b"Dr A "])
    password = fuzz.pick([PASSWORD.encode(), b"wrong", b"", PASSWORD.upper().encode()])
    pairs = fuzz.with_csrf(fuzz.mutate_form([(b"name", name), (b"password", password)]), csrf)
    data, ctype = fuzz.form_bytes(pairs)
    nxt = fuzz.pick(["", "?next=/caseload", "?next=//evil.example", "?next=http://evil.example/",
                     "?next=/%5Cevil.example", "?next=%0d%0aSet-Cookie:x=1", "?next=/\\evil", "?next=javascript:x"])
    path = fuzz.pick(["/login", "/logout"]) + nxt if fuzz.rng.random() < 0.9 else "/logout"
    fuzz.send(client, path, data, ctype, fuzz.headers(None), api=False, store=True)


def _cds_route(suffix, base):
    def one(fuzz, n):
        client = fuzz.app.test_client()
        body = fuzz.mutate_json(base(fuzz, n))
        data, ctype = fuzz.json_bytes(body)
        service = fuzz.pick(["seqplan-plan"] * 8 + ["nope", "%00", "x" * 300])
        fuzz.send(client, f"/cds-services/{service}{suffix}", data, ctype, {}, api=True, store=True)
    return one


def _cds_call(fuzz, n):
    return {"hook": "patient-view", "hookInstance": f"fuzz-{n}",
            "context": {"userId": "Practitioner/dr-rivera", "patientId": fuzz.pick(["EX-001", "EX-002", "EX-9"])},
            "prefetch": {"assessment": dict(EXAMPLE, client=dict(EXAMPLE["client"], id=fuzz.pick(
                ["EX-001", "EX-002", "EX-9"])))}}


def _cds_feedback(fuzz, n):
    return {"feedback": [{"card": fuzz.pick(CARDS or ["x"]), "outcome": fuzz.pick(["accepted", "overridden"]),
                          "overrideReason": {"reason": {"code": "child-choice", "system": "urn:x"}},
                          "outcomeTimestamp": "2026-11-02T10:00:00Z"}]}


CARDS = []

ROUTES = {
    "/login": _login_route,
    "/case": _case,
    "/download": _download,
    "/ui/update": _json_route("/ui/update", _whatif_body),
    "/ui/steps": _json_route("/ui/steps", _assessment),
    "/api/plan": _json_route("/api/plan", _plan_body),
    "/api/whatif": _json_route("/api/whatif", _whatif_body),
    "/api/why": _json_route("/api/why", _why_body),
    "/assess": _record_form(lambda f: "/assess", _assess_form, [4, 2, 4, 1, 1, 1]),
    "/plan/<plan>/decide": _record_form(lambda f: f"/plan/{_plan_ref(f)}/decide", _decide_form, [6, 1, 3, 1, 1, 1]),
    "/plan/<plan>/sign": _record_form(lambda f: f"/plan/{_plan_ref(f)}/sign", _sign_form, [6, 1, 3, 1, 1, 1]),
    "/child/<ref>/assign": _record_form(lambda f: "/child/" + f.pick(
        ["EX-001", "EX-001", "EX-002", "EX-9", "%00", "x" * 400, "%ED%A0%80"]) + "/assign", _assign_form,
        [1, 1, 8, 1, 1, 1]),
    "/cds-services/<service_id>": _cds_route("", _cds_call),
    "/cds-services/<service_id>/feedback": _cds_route("/feedback", _cds_feedback),
}


def test_every_post_route_is_fuzzed(db):
    """A route added to the app is added here too (or the fuzz misses a door)."""
    from planner.api import open_record
    from planner.web.app import create_app

    open_record(db)
    posts = {r.rule for r in create_app(db=db).url_map.iter_rules() if "POST" in r.methods} - {"/logout"}
    assert posts == set(ROUTES)


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_fuzzed_posts_get_a_clear_answer_and_store_nothing_partial(site, route):
    from planner.api import open_record

    fuzz = Fuzz(site, route, seed=25)
    if not BASELINE:
        BASELINE.append(fuzz.open_app.test_client().post("/api/whatif", json={
            "assessment": EXAMPLE, "baseline": True}).get_json()["baseline"])
    if route.startswith("/cds-services") and not CARDS:
        answer = fuzz.app.test_client().post("/cds-services/seqplan-plan", json=_cds_call(fuzz, 0)).get_json()
        CARDS.extend(c["uuid"] for c in answer.get("cards", []))
    for n in range(CASES):
        ROUTES[route](fuzz, n)
    fuzz.report()
    assert open_record(site[2]).verify()[0]
    assert sum(fuzz.statuses.values()) == CASES


# ------------------------------------------------------------------------------ what the fuzz found

def test_a_csrf_token_with_non_ascii_characters_is_refused_not_a_500(site):
    """hmac.compare_digest raised TypeError on a str with non-ASCII characters (found by the fuzz)."""
    app, _, _ = site
    client, _ = _login(app, "Sam Super")
    for sent in ({"data": {"csrf": "\u2028", "clinician": "Dr B"}},
                 {"data": {"clinician": "Dr B"}, "headers": {"X-CSRF-Token": "é"}}):
        r = client.post("/child/EX-001/assign", **sent)
        assert r.status_code == 403 and b"expired" in r.data, r.data[:300]


def test_the_pages_json_calls_are_refused_in_json(site):
    """/ui/update and /ui/steps are read by the page's script as JSON: a refused one was an
    HTML page the script could not read (found by the fuzz)."""
    app, _, _ = site
    client, csrf = _login(app, "Dr A")
    for path in ("/ui/update", "/ui/steps"):
        for headers in ({}, {"X-CSRF-Token": csrf, "Origin": "http://evil.example"}):
            r = client.post(path, json={"assessment": EXAMPLE}, headers=headers)
            assert r.status_code == 403 and r.is_json and r.get_json()["error"]["message"], (path, r.data[:200])


@pytest.mark.parametrize("fields", [[("context", "x")], [("functioning.sleep.x", "3")],
                                    [("client", "x"), ("client.id", "FZ-1")], [("context.avoid.x", "y")]])
def test_a_form_field_inside_a_value_is_named_not_a_500(site, fields):
    """`context` alone (IndexError) and `functioning.sleep.x` after `functioning.sleep`
    (TypeError) were 500s from the assessment form (found by the fuzz)."""
    app, _, db = site
    client, csrf = _login(app, "Dr A")
    pairs = [("csrf", csrf)] + [(k, v) for k, v in _flat(dict(EXAMPLE, client=dict(EXAMPLE["client"], id="FZ-1")))
                                if not k.startswith(("history", "format"))]
    pairs = pairs[:1] + fields + pairs[1:] if fields[0][0] == "client" else pairs + fields
    from planner.api import open_record

    before = _rows(open_record(db).engine)
    r = client.post("/assess", data=_form_data(pairs))
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and (fields[-1][0] in html or fields[0][0] in html), html[:300]
    assert _rows(open_record(db).engine) == before


def _form_data(pairs):
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def test_a_baseline_broken_inside_is_ignored_like_one_that_does_not_match(site):
    """A baseline with the genuine digests and a broken inside (a function without its score,
    a string where a list was, a lone surrogate in a band) was a KeyError/TypeError/
    UnicodeEncodeError 500 (found by the fuzz): it is ignored, as whatif_data's contract says
    of a baseline that does not match."""
    client = site[1].test_client()
    body = {"assessment": EXAMPLE, "set": {"sleep": 9}}
    genuine = client.post("/api/whatif", json=dict(body, baseline=True)).get_json()["baseline"]
    expected = client.post("/api/whatif", json=body).get_json()
    without_score = json.loads(json.dumps(genuine))
    for region in without_score["regions"]:
        for function in region["functions"]:
            function.pop("score", None)
    surrogate = json.loads(json.dumps(genuine))
    surrogate["regions"][3]["functions"][1]["band"] = "a\udfffb"       # echoed in the answer: not UTF-8
    for broken in (without_score, dict(genuine, gates="x"), dict(genuine, steps=[1, 2]), surrogate):
        r = client.post("/api/whatif", json=dict(body, baseline=broken))
        assert r.status_code == 200 and r.get_json() == expected, r.data[:300]
        assert client.post("/ui/update", json=dict(body, baseline=broken)).status_code == 200


@pytest.mark.parametrize("filename", ["a\x00.yaml", "n" * 300 + ".yaml", "é" * 120 + ".json", "a\x1b[31m.yaml"])
def test_an_upload_whose_name_cannot_be_kept_is_refused_by_name(site, filename):
    """A NUL in an uploaded file's name was a ValueError 500; a name over 255 bytes an OSError
    (found by the fuzz)."""
    import io

    from planner.api import open_record

    app, _, db = site
    client, csrf = _login(app, "Dr A")
    before = _rows(open_record(db).engine)
    r = client.post("/assess", data={"csrf": csrf, "file": (io.BytesIO(EXAMPLE_TEXT.encode()), filename)},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "has a name seqplan cannot keep" in r.get_data(as_text=True)
    assert _rows(open_record(db).engine) == before


def test_a_decision_with_an_activity_not_in_the_catalogue_is_refused(site):
    """An accept (or drop, defer) sent with an activity not in the catalogue was stored, and
    every later view of the plan was a KeyError 500 (found by the fuzz)."""
    from planner.api import open_record
    from planner.record.db import RecordError

    app, _, db = site
    client, csrf = _login(app, "Dr A")
    before = _rows(open_record(db).engine)
    for action, reason in (("accept", ""), ("drop", "child-choice"), ("defer", "state-changed")):
        r = client.post("/plan/P1/decide", data={"csrf": csrf, "step": "S1", "action": action, "activity": "16",
                                                 "reason": reason})
        assert r.status_code == 422 and "not in the catalogue" in r.get_data(as_text=True)
    assert _rows(open_record(db).engine) == before
    assert client.get("/plan/P1").status_code == 200
    with pytest.raises(RecordError, match="not in the catalogue"):
        open_record(db).decide("P1", "S1", "accept", "16", by="Dr A")
    assert client.post("/plan/P1/decide", data={"csrf": csrf, "step": "S1", "action": "accept",
                                                "activity": ""}).status_code == 302      # as the page sends it


def test_text_with_a_nul_is_refused_by_the_record_not_a_500(site):
    """PostgreSQL cannot keep or compare text holding NUL: a login name or a child's reference
    with one was a psycopg DataError 500 (found by the fuzz on PostgreSQL)."""
    from planner.api import open_record
    from planner.record.db import RecordError

    app, _, db = site
    client = app.test_client()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    r = client.post("/login", data={"name": "Dr\x00A", "password": PASSWORD, "csrf": csrf})
    assert r.status_code == 401 and "wrong name or password" in r.get_data(as_text=True)
    sup, csrf = _login(app, "Sam Super")
    r = sup.post("/child/%00/assign", data={"csrf": csrf, "clinician": "Dr B"})
    assert 400 <= r.status_code < 500 and b"NUL" in r.data, r.data[:300]
    r = sup.post("/child/EX-001/assign", data={"csrf": csrf, "clinician": "Dr\x00B"})
    assert 400 <= r.status_code < 500, r.data[:300]
    with pytest.raises(RecordError, match="NUL"):
        open_record(db).decide("P1", "S1", "drop", None, "clinical-judgement", "a\x00note", by="Dr A")
    assert open_record(db).verify()[0]
