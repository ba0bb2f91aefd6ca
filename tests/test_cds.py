"""seqplan as a CDS Hooks 2.0 service: a scripted EHR client over HTTP against the running
server on 127.0.0.1 (discovery, the hook, cards, feedback), the cards checked against a JSON
Schema from the CDS Hooks API's definitions (tests/fixtures/cds-hooks) and the rules a schema
cannot say, and the feedback found as decisions in the case record."""
from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import jsonschema
import pytest
import yaml

from planner.api import open_record, record_show

SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "cds-hooks" / "cds-hooks-2.0.schema.json").read_text())
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def valid(document, definition):
    schema = dict(SCHEMA, **{"$ref": f"#/$defs/{definition}"})
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)


@pytest.fixture()
def server(tmp_path):
    from werkzeug.serving import make_server

    from planner.web.app import create_app

    app = create_app(db=str(tmp_path / "record.db"))
    httpd = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app.config["SEQPLAN_DB"]
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def http(base, path, body=None):
    """(status, JSON) of a GET, or of a POST of ``body`` as JSON."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def call(name="young-child-brainstem", patient="EX-001", **changes):
    assessment = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    assessment.update(changes)
    return {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/dr-rivera", "patientId": patient},
            "prefetch": {"assessment": json.loads(json.dumps(assessment, default=str))}}


def check_cards(response, reasons):
    """What the schema cannot say: unique uuids, each suggestion's uuid, override reasons
    from the service's code set, and safety before everything else."""
    valid(response, "Response")
    cards = response["cards"]
    ids = [c["uuid"] for c in cards] + [s["uuid"] for c in cards for s in c.get("suggestions", [])]
    assert len(ids) == len(set(ids))
    for card in cards:
        assert card["source"]["label"].startswith("seqplan ")
        assert all((r["code"], r["system"]) in reasons for r in card.get("overrideReasons", []))
    indicators = [c["indicator"] for c in cards]
    assert indicators == sorted(indicators, key=lambda i: i != "critical")


def test_an_ehr_discovers_calls_and_overrides_and_the_record_shows_it(server):
    from planner.api import record_reasons

    base, db = server
    status, discovery = http(base, "/cds-services")
    assert status == 200
    valid(discovery, "Discovery")
    service = discovery["services"][0]
    assert service["hook"] == "patient-view" and "assessment" in service["prefetch"]

    status, response = http(base, f"/cds-services/{service['id']}", call())
    assert status == 200, response
    reasons = {(code, system) for code, system, _ in record_reasons()}
    check_cards(response, reasons)
    cards = response["cards"]
    plan_card = cards[0]
    assert plan_card["indicator"] == "warning"            # typically in alarm: state before scores
    action = plan_card["suggestions"][0]["actions"][0]
    assert action["type"] == "create" and action["resource"]["resourceType"] == "CarePlan"
    assert action["resource"]["subject"]["reference"] == "Patient/EX-001"
    steps = [c for c in cards if c["summary"][:2] in ("S1", "S2", "S3")]
    assert [c["summary"].split()[0] for c in steps] == ["S1", "S2", "S3"]

    override = {"card": steps[1]["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-12-04T10:00:00Z",
                "overrideReason": {"reason": {"code": "not-convenient-feasible",
                                              "system": steps[1]["overrideReasons"][5]["system"]},
                                   "userComment": "no drum at home"}}
    accept = {"card": steps[0]["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-12-04T10:00:00Z",
              "acceptedSuggestions": [{"id": steps[0]["suggestions"][0]["uuid"]}]}
    for entry in (override, accept):
        valid({"feedback": [entry]}, "Feedback")
    status, answer = http(base, f"/cds-services/{service['id']}/feedback", {"feedback": [override, accept]})
    assert status == 200 and answer == {"decisions": ["D1", "D2"]}

    shown = record_show("EX-001", db=db, by="auditor")
    assert 'P1 S2: dropped by Practitioner/dr-rivera: Not practical for the family or team (time, transport, ' \
           'cost) (Overridden in the EHR (CDS Hooks feedback). "no drum at home")' in shown
    assert "P1 S1: accepted by Practitioner/dr-rivera" in shown
    assert open_record(db).verify()[0]


def test_safety_comes_first_as_a_critical_card(server):
    base, _ = server
    body = call()
    body["prefetch"]["assessment"]["current"]["threat_ongoing"] = True
    cards = http(base, "/cds-services/seqplan-plan", body)[1]["cards"]
    assert cards[0]["indicator"] == "critical" and cards[0]["summary"].startswith("Safety first: ")
    assert len(cards[0]["summary"]) <= 139


def test_the_same_call_twice_gives_the_same_cards_and_one_plan(server):
    base, db = server
    first = http(base, "/cds-services/seqplan-plan", call())[1]
    again = http(base, "/cds-services/seqplan-plan", call())[1]
    assert first == again
    assert len(open_record(db).child_record("EX-001", by="t")["plans"]) == 1


def test_a_questionnaire_response_in_the_export_shape_is_read_as_the_assessment(server):
    """The EHR may hold the assessment as the QuestionnaireResponse seqplan's FHIR export
    writes: the same cards come back as from seqplan's own JSON."""
    from planner.api import plan_file
    from planner.outputs.fhir import fhir_bundle
    from planner.api import plan_for

    base, _ = server
    bundle = fhir_bundle(plan_for("teen-cortical"))
    response = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse")
    body = call(name="teen-cortical", patient=plan_for("teen-cortical").client["id"])
    own = http(base, "/cds-services/seqplan-plan", body)[1]
    body["prefetch"]["assessment"] = response
    from_fhir = http(base, "/cds-services/seqplan-plan", dict(body, hookInstance=str(uuid.uuid4())))
    assert from_fhir[0] == 200, from_fhir
    assert [c["summary"] for c in from_fhir[1]["cards"]][:2] == [c["summary"] for c in own["cards"]][:2]
    assert plan_file


@pytest.mark.parametrize("path, body, status, message", [
    ("/cds-services/nope", call(), 404, "no CDS service 'nope'"),
    ("/cds-services/seqplan-plan", {"hook": "order-sign"}, 400, "this service answers 'patient-view'"),
    ("/cds-services/seqplan-plan", dict(call(), prefetch={}), 412, "prefetch.assessment is missing"),
    ("/cds-services/seqplan-plan", dict(call(), context={"userId": "x"}), 400, "context.patientId"),
    ("/cds-services/seqplan-plan/feedback", {"feedback": [{"card": str(uuid.uuid4()), "outcome": "accepted"}]},
     404, "was not given by this service"),
    ("/cds-services/seqplan-plan/feedback", {"feedback": [{"card": "x", "outcome": "maybe"}]}, 400, "an outcome"),
    ("/cds-services/seqplan-plan/feedback", {"feedback": [{"card": "x'; drop table plan; --", "outcome": "accepted"}]},
     400, "not a uuid"),
])
def test_a_request_the_service_cannot_use_is_a_json_error(server, path, body, status, message):
    base, _ = server
    got, answer = http(base, path, body)
    assert got == status and message in answer["error"]["message"], answer


def test_an_invalid_assessment_names_the_field(server):
    base, _ = server
    body = call()
    body["prefetch"]["assessment"]["functioning"]["sleep"] = 13
    status, answer = http(base, "/cds-services/seqplan-plan", body)
    assert status == 422 and "functioning.sleep" in answer["error"]["message"]


def test_an_override_needs_a_reason_from_the_cards_code_set(server):
    base, _ = server
    cards = http(base, "/cds-services/seqplan-plan", call())[1]["cards"]
    step = next(c for c in cards if c["summary"].startswith("S1"))
    entry = {"card": step["uuid"], "outcome": "overridden",
             "overrideReason": {"reason": {"code": "because", "system": "urn:x"}}}
    status, answer = http(base, "/cds-services/seqplan-plan/feedback", {"feedback": [entry]})
    assert status == 400 and "overrideReasons" in answer["error"]["message"]


def test_a_fuzzed_hook_call_is_always_a_json_answer(server):
    """Seeded: random shapes of the request and its prefetch never crash the service."""
    import random

    base, _ = server
    rng = random.Random(21)
    values = [None, 0, -1, 1e300, "", "x" * 300, [], {}, [1], {"a": 1}, True, "2026-13-45", "\u202e"]
    template = call()
    for n in range(int(os.environ.get("SEQPLAN_FUZZ_CASES", 150))):      # 5,000+ for a release
        body = json.loads(json.dumps(template))
        for _ in range(rng.randint(1, 3)):
            target = rng.choice(list(_objects(body)))
            key = rng.choice(list(target) + ["extra"])
            target[key] = json.loads(json.dumps(rng.choice(values)))     # a fresh copy: never a cycle
        body["hookInstance"] = body["hookInstance"] if isinstance(body.get("hookInstance"), str) else str(n)
        status, answer = http(base, "/cds-services/seqplan-plan", body)
        assert status in (200, 400, 404, 409, 412, 422), (status, answer)
        assert ("cards" in answer) if status == 200 else ("message" in answer["error"])


def _objects(value):
    """Every JSON object inside ``value``, itself included."""
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from _objects(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _objects(inner)


def test_there_is_no_cds_service_without_a_record_or_beyond_this_machine(tmp_path):
    """Without a record there is nowhere to keep feedback; bound beyond 127.0.0.1 an EHR would
    have to prove who it is (its JWT), which seqplan does not check yet."""
    from planner.api import users_add
    from planner.web.app import create_app

    assert create_app().test_client().get("/cds-services").status_code == 404
    db = str(tmp_path / "record.db")
    users_add("admin", "supervisor", "a long enough password", db=db)
    public = create_app(db=db, public=True, trusted_hosts=["clinic.example"])
    assert public.test_client().get("/cds-services", base_url="https://clinic.example").status_code == 404
