"""The trainer's web app through Flask's test client: pages, the JSON API, bad input
(clear 4xx, nothing kept), escaping, downloads, and concurrent requests (planning is
serialised: durable-rules is not thread-safe)."""
from __future__ import annotations

import json
import re
import threading

import pytest
import yaml

from tests.conftest import EXAMPLE_NAMES, ROOT, run_cli

VIGNETTES = sorted(p.stem for p in (ROOT / "vignettes").glob("*.yaml"))


@pytest.fixture(scope="module")
def client():
    from planner.web.app import create_app

    app = create_app()
    app.config["TESTING"] = True
    return app.test_client()


def mapping(name):
    from planner.intake.assessment import load_assessment
    from planner.intake.examples import bundled_paths

    return load_assessment(bundled_paths()[name]).canonical


def page_data(html):
    """The assessment the case page carries for its script."""
    return json.loads(re.search(r'id="assessment-data">(.*?)</script>', html, re.S).group(1))


def test_home_lists_vignettes_and_examples_and_fetches_nothing_elsewhere(client):
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for name in VIGNETTES + list(EXAMPLE_NAMES):
        assert f'href="/case/{name}"' in html
    assert 'name="text"' in html and 'name="file"' in html
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    urls = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert urls and all(u.startswith("/") for u in urls), urls


@pytest.mark.parametrize("name", ["state-before-scores", "young-child-brainstem"])
def test_case_page_has_map_plan_and_a_control_for_everything(client, name):
    from planner.kb.knowledge import load_knowledge_base

    r = client.get(f"/case/{name}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert page_data(html) == mapping(name)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="brain-map"' in html
    assert 'id="steps"' in html and 'data-target="S1"' in html
    for fid in load_knowledge_base().functions:
        assert f'data-field="functioning.{fid}"' in html
    for field in ("current.arousal", "current.relational_health", "client.age_years", "context.interests",
                  "context.avoid", "context.team", "context.settings"):
        assert f'data-field="{field}"' in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == ["/static/app.js"]
    js = client.get(scripts[0]).get_data(as_text=True)
    assert "http" not in js.replace("/ui/", "").replace("XMLHttp", ""), "the script calls only this server"


def test_unknown_case_is_404(client):
    assert client.get("/case/no-such-vignette").status_code == 404


def test_api_plan_matches_the_command_line(client):
    r = client.post("/api/plan", json={"assessment": mapping("middle-limbic")})
    assert r.status_code == 200 and r.mimetype == "application/json"
    cli = run_cli("plan", "middle-limbic", "--format", "json")
    assert json.loads(r.get_data(as_text=True))["steps"] == json.loads(cli.stdout)["steps"]
    md = client.post("/api/plan", json={"assessment": mapping("middle-limbic"), "format": "md"})
    assert md.status_code == 200 and md.get_data(as_text=True).startswith("#")


def test_api_whatif_opens_the_arousal_gate(client):
    r = client.post("/api/whatif", json={"assessment": mapping("state-before-scores"),
                                         "set": {"current.arousal": "alert"}})
    assert r.status_code == 200
    report = r.get_json()
    assert report["set"] == [{"field": "current.arousal", "from": "fear", "to": "alert"}]
    assert {g["by"] for g in report["gates"] if g["status"] == "opened"} == {"arousal"}   # reason and relate gates
    cli = run_cli("whatif", "state-before-scores", "--set", "current.arousal=alert", "--format", "json")
    assert json.loads(cli.stdout)["steps"] == report["steps"]


def test_api_why_and_why_not(client):
    data = mapping("state-before-scores")
    why = client.post("/api/why", json={"assessment": data, "target": "S1"})
    assert why.status_code == 200
    assert why.get_json()["text"].startswith("Why: S1 ")
    html = why.get_json()["html"]            # what the page shows: the sentence, the tree folded
    assert '<p class="sentence" id="why-sentence">' in html and '<details id="why-tree">' in html
    assert re.search(r'<a class="ref" href="#why-ref-1">\[1\]</a>', html) and 'id="why-ref-1"' in html
    why_not = client.post("/api/why", json={"assessment": data, "target": "cbt", "kind": "why-not"})
    assert why_not.status_code == 200
    assert "deferred" in why_not.get_json()["text"]
    edited = client.post("/api/why", json={"assessment": data, "set": {"current.arousal": "alert"},
                                           "target": "cbt", "kind": "why-not"})
    assert edited.get_json()["text"] != why_not.get_json()["text"], "why-not answers for the edited assessment"


@pytest.mark.parametrize("url, body, status, expect", [
    ("/api/plan", "not json", 400, "send a JSON object"),
    ("/api/plan", {"set": {}}, 400, "'assessment' must be"),
    ("/api/whatif", {"assessment": {"format": "seqplan/assessment-1"}}, 422, "assessment: assessed_on: required"),
    ("/api/why", {"assessment": "EXAMPLE", "target": ""}, 400, "'target' must be"),
    ("/api/why", {"assessment": "EXAMPLE", "target": "S99"}, 422, "is neither a step id nor an activity id"),
    ("/api/why", {"assessment": "EXAMPLE", "target": "cbt", "kind": "how"}, 400, "'kind' must be"),
    ("/api/whatif", {"assessment": "EXAMPLE", "set": {"sleep": 13}}, 422,
     "--set: functioning.sleep: 13 is out of range (use a value from 0 to 12)"),
    ("/api/whatif", {"assessment": "EXAMPLE", "set": {"slep": 3}}, 422, "did you mean 'sleep'?"),
    ("/api/whatif", {"assessment": "EXAMPLE", "set": "sleep=3"}, 400, "'set' must be"),
    ("/api/plan", {"assessment": "EXAMPLE", "format": "pdf"}, 400, "'format' must be"),
])
def test_bad_requests_get_a_clear_4xx(client, url, body, status, expect):
    if isinstance(body, dict) and body.get("assessment") == "EXAMPLE":
        body = dict(body, assessment=mapping("middle-limbic"))
    r = client.post(url, json=body) if isinstance(body, dict) else client.post(url, data=body,
                                                                                content_type="application/json")
    assert r.status_code == status, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert expect in error["message"], error
    if status == 422 and "--set" in expect:
        assert error["field"] == "functioning.sleep"


def test_request_size_is_capped(client):
    data = mapping("middle-limbic")
    data["context"]["notes"] = "x" * (300 * 1024)
    r = client.post("/api/plan", json={"assessment": data})
    assert r.status_code == 413
    assert "KiB" in r.get_json()["error"]["message"]


def test_only_local_host_names_are_served(client):
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "127.0.0.1:8765"}).status_code == 200


def test_nothing_is_kept_between_requests(client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = mapping("state-before-scores")
    plain = client.post("/api/plan", json={"assessment": data}).get_data()
    assert client.post("/api/whatif", json={"assessment": data, "set": {"current.arousal": "calm"}}).status_code == 200
    assert client.post("/api/whatif", json={"assessment": data, "set": {"sleep": 99}}).status_code == 422
    assert client.post("/case", data={"text": "client: [1"}).status_code == 422
    assert client.post("/api/plan", json={"assessment": data}).get_data() == plain
    assert list(tmp_path.iterdir()) == []


def test_pasted_assessment_errors_are_shown_beside_their_line(client):
    text = (ROOT / "examples" / "middle-limbic.yaml").read_text("utf-8")
    bad = text.replace("  sleep:", "  slep:", 1)
    r = client.post("/case", data={"text": bad})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    line = next(i for i, l in enumerate(bad.splitlines(), 1) if l.startswith("  slep:"))
    row = re.search(rf'<tr class="bad"><td class="n">{line}</td>.*?</tr>', html, re.S)
    assert row and "functioning.slep" in row.group(0) and "did you mean &#39;sleep&#39;?" in row.group(0)
    assert "slep: " in html, "the pasted text is kept for correction"
    syntax = client.post("/case", data={"text": "client: [1"})
    assert syntax.status_code == 422 and "invalid YAML" in syntax.get_data(as_text=True)


def test_uploaded_json_opens_a_case(client):
    import io

    body = json.dumps(mapping("teen-cortical")).encode()
    r = client.post("/case", data={"file": (io.BytesIO(body), "teen.json")}, content_type="multipart/form-data")
    assert r.status_code == 200
    assert page_data(r.get_data(as_text=True)) == mapping("teen-cortical")


def test_all_input_is_escaped(client):
    data = mapping("middle-limbic")
    data["client"]["name"] = "<script>alert(1)</script>"
    data["context"]["notes"] = "</script><img src=x onerror=alert(1)>"
    data["context"]["interests"] = ["<b>music</b>"]
    text = yaml.safe_dump(data)
    html = client.post("/case", data={"text": text}).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>music" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert page_data(html) == json.loads(json.dumps(data)), "the embedded data survives escaping intact"
    fragments = client.post("/ui/update", json={"assessment": data, "set": {"sleep": 3}}).get_json()
    assert all("<script>alert" not in v and "<b>music" not in v for v in fragments.values() if isinstance(v, str))


def test_update_marks_the_differences(client):
    r = client.post("/ui/update", json={"assessment": mapping("state-before-scores"),
                                        "set": {"current.arousal": "alert"}})
    assert r.status_code == 200
    data = r.get_json()
    assert data["changed"] is True
    assert 'class="step added"' in data["plan"]
    assert "opened" in data["changes"]
    assert data["map"].startswith("<svg")


def test_steps_for_the_page(client):
    r = client.post("/ui/steps", json={"assessment": mapping("dissociation")})
    assert r.status_code == 200
    layers = r.get_json()["layers"]
    assert layers[0]["name"] == "summarise" and layers[0]["firings"][0]["because"]


def test_downloads_plan_and_edited_assessment(client, tmp_path):
    data = mapping("dissociation")
    form = {"assessment": json.dumps(data), "set": json.dumps({"dissociation": 9})}
    y = client.post("/download", data=dict(form, fmt="yaml"))
    assert y.status_code == 200
    assert y.headers["Content-Disposition"] == 'attachment; filename="VG-105-assessment-hypothetical-what-if.yaml"'
    saved = tmp_path / "variant.yaml"
    saved.write_bytes(y.get_data())
    assert yaml.safe_load(saved.read_text("utf-8"))["functioning"]["dissociation"] == 9
    assert run_cli("validate", saved).returncode == 0, "the edited assessment is a valid file"
    for fmt, start in (("md", "#"), ("json", "{"), ("html", "<!DOCTYPE html>"), ("handout-teacher", "<!DOCTYPE")):
        r = client.post("/download", data=dict(form, fmt=fmt))
        assert r.status_code == 200, fmt
        assert r.get_data(as_text=True).lstrip().startswith(start), fmt
        assert "attachment" in r.headers["Content-Disposition"]
    assert client.post("/download", data=dict(form, fmt="exe")).status_code == 400


def test_concurrent_requests_are_serialised_and_correct(client):
    """Many threads at once get exactly the answers they get one at a time."""
    cases = [("state-before-scores", {"current.arousal": "alert"}), ("dissociation", {"dissociation": 9}),
             ("six-rs-fail", {"context.avoid": []}), ("middle-limbic", {"sleep": 2})]
    expected = {name: client.post("/api/whatif", json={"assessment": mapping(name), "set": sets}).get_data()
                for name, sets in cases}
    results, errors = [], []

    def worker(name, sets):
        try:
            for _ in range(3):
                r = client.post("/api/whatif", json={"assessment": mapping(name), "set": sets})
                results.append((name, r.status_code, r.get_data()))
        except Exception as exc:   # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=case) for case in cases * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    assert len(results) == 24
    for name, status, body in results:
        assert status == 200
        assert body == expected[name], name


def test_serve_help_has_an_example_and_binds_locally():
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    assert "Example:" in result.stdout and "seqplan serve" in result.stdout
    assert "127.0.0.1" in result.stdout


def test_page_controls_can_unrecord_the_state_and_unrate_a_function(client):
    """What the page sends for 'not recorded' arousal and an unticked rating."""
    r = client.post("/ui/update", json={"assessment": mapping("state-before-scores"),
                                        "set": {"current.arousal": "none", "functioning.sleep": "none"}})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert 'data-function="sleep" data-band="unrated"' in r.get_json()["map"]


def test_a_baseline_saves_replanning_and_changes_no_answer(client):
    data = mapping("state-before-scores")
    ask = {"assessment": data, "set": {"current.arousal": "alert"}}
    plain = client.post("/api/whatif", json=ask).get_json()
    first = client.post("/api/whatif", json=dict(ask, baseline=True)).get_json()
    baseline = first.pop("baseline")
    assert first == plain
    assert baseline["input_digest"] == plain["input_digest"]["before"]
    assert client.post("/api/whatif", json=dict(ask, baseline=baseline)).get_json() == plain
    # a baseline of another assessment, or a malformed one, is ignored, not trusted
    other = client.post("/api/whatif", json={"assessment": mapping("dissociation"), "baseline": True}).get_json()
    assert client.post("/api/whatif", json=dict(ask, baseline=other["baseline"])).get_json() == plain
    assert client.post("/api/whatif", json=dict(ask, baseline={"steps": "x"})).get_json() == plain
    page = client.get("/case/state-before-scores").get_data(as_text=True)
    embedded = json.loads(re.search(r'id="baseline-data">(.*?)</script>', page, re.S).group(1))
    assert embedded == baseline
    update = client.post("/ui/update", json=dict(ask, baseline=embedded)).get_json()
    assert update == client.post("/ui/update", json=ask).get_json()
