"""The trainer page's server side (issue 22, item 2): the state drawn beside the map, the
before map, the note's what-if as a "Try this" button, and every download after an edit
marked hypothetical (what-if) in its title, heading and file name, and none without one."""
from __future__ import annotations

import html
import json
import re

import pytest
import yaml

from tests.conftest import cli_in_process
from tests.test_web import client, mapping  # noqa: F401  (client: the app's test client, a fixture)

MARK = "hypothetical (what-if)"


def gauges(fragment):
    """{gauge: value} of the state beside the map."""
    return dict(re.findall(r'class="gauge" data-gauge="([a-z_]+)" data-value="([^"]*)"', fragment))


def test_the_state_is_drawn_beside_the_map_and_redrawn_on_a_change(client):
    page = client.get("/case/state-before-scores").get_data(as_text=True)
    assert gauges(page[page.index('id="state"'):]) == {"arousal": "fear", "dissociation": "9", "relational_health": "7"}
    assert 'class="arousal high current"' in page, "fear is drawn as the current, high state"
    r = client.post("/ui/update", json={"assessment": mapping("state-before-scores"),
                                        "set": {"current.arousal": "alert", "current.relational_health": 3}})
    assert gauges(r.get_json()["state"]) == {"arousal": "alert", "dissociation": "9", "relational_health": "3"}
    assert 'data-band="severe"' in r.get_json()["state"]


def test_the_before_map_is_on_the_page_with_ids_of_its_own(client):
    page = client.get("/case/dissociation").get_data(as_text=True)
    before = page[page.index('id="before"'):page.index('id="after"')]
    assert 'class="brain-map"' in before and 'id="before-map-title"' in before and "hidden" in before[:20]
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "no id twice on the page"


@pytest.mark.parametrize("name", ["state-before-scores", "six-rs-fail", "bottom-up-start"])
def test_try_this_carries_the_notes_what_if_as_the_controls_name_it(client, name):
    from planner.intake.examples import vignette_note

    page = client.get(f"/case/{name}").get_data(as_text=True)
    data = json.loads(html.unescape(re.search(r'id="try" data-set="([^"]*)"', page).group(1)))
    note = vignette_note(name)["whatif"]["set"]
    assert len(data) == len(note)
    for field in data:
        assert f'data-field="{field}"' in page, f"{field} has a control"
    assert "What trainees should see" in page


def test_no_try_this_without_a_note(client):
    assert 'id="try"' not in client.get("/case/young-child-brainstem").get_data(as_text=True)


def download(client, fmt, sets):
    form = {"assessment": json.dumps(mapping("dissociation")), "set": json.dumps(sets), "fmt": fmt}
    r = client.post("/download", data=form)
    assert r.status_code == 200, fmt
    return r.get_data(as_text=True), re.search(r'filename="([^"]+)"', r.headers["Content-Disposition"]).group(1)


@pytest.mark.parametrize("fmt", ["md", "html", "json", "handout-caregiver", "handout-teacher", "yaml"])
def test_every_download_after_an_edit_is_marked_hypothetical(client, fmt):
    text, name = download(client, fmt, {"dissociation": 9})
    assert "hypothetical-what-if" in name, name
    if fmt == "md":
        title = text.splitlines()[0]
        assert title.startswith("# Sequenced plan for ") and title.endswith(MARK)
        assert "Hypothetical (what-if): not Ava's plan" in text and "Dissociation (freedom from) 2 to 9" in text
    elif fmt == "json":
        plan = json.loads(text)
        assert list(plan)[:2] == ["format", "hypothetical"]
        assert plan["hypothetical"] == [{"field": "functioning.dissociation", "from": 2, "to": 9}]
    elif fmt == "yaml":
        assert text.startswith("# Hypothetical (what-if)")
        assert yaml.safe_load(text)["functioning"]["dissociation"] == 9
    else:
        assert re.search(r"<title>[^<]*" + re.escape(MARK) + "</title>", text)
        assert re.search(r"<h1>[^<]*" + re.escape(MARK) + "</h1>", text)
        assert "Hypothetical (what-if): not Ava's plan" in text


@pytest.mark.parametrize("fmt", ["md", "html", "json", "handout-teacher"])
def test_a_download_without_an_edit_is_not_marked(client, fmt):
    text, name = download(client, fmt, {"functioning.dissociation": 2})    # the value it has: no edit
    assert "hypothetical" not in name and "hypothetical" not in text.lower()


def test_the_command_line_plan_is_unmarked_and_unchanged():
    out = cli_in_process("plan", "dissociation", "--format", "json").stdout
    assert "hypothetical" not in out and list(json.loads(out))[:2] == ["format", "seqplan_version"]
