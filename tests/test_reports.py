"""The reports a person reads: the Functional Brain Map (SVG), the self-contained HTML plan
report and the progress report between two assessments.

Everything is parsed with the standard library only: ``xml.etree.ElementTree`` for the SVG
(so it must be well-formed XML) and ``html.parser.HTMLParser`` for the HTML. Outputs are made
through the CLI commands with ``-o FILE`` (in-process, cached per session); the refusal and
determinism tests run the CLI in fresh processes.
"""
from __future__ import annotations

import itertools
import json
import re
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tests.conftest import (ALL_FUNCTIONS, EXAMPLE_NAMES, REGION_FUNCTIONS, make_assessment, run_cli,
                            write_assessment)

SVG = "{http://www.w3.org/2000/svg}"
EXAMPLES = tuple(dict.fromkeys((*EXAMPLE_NAMES, "young-child-brainstem-followup")))
BANDS = ("typical", "mild", "moderate", "severe")          # best to worst
ALL_BANDS = (*BANDS, "unrated")
OLD, NEW = "young-child-brainstem", "young-child-brainstem-followup"

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = make_assessment(
    brainstem=3, diencephalon=6, limbic=9, cortex=12, age=7.5, client_id="XSS-1", name=SCRIPT,
    assessor=IMG, current={"relational_health": 6, "arousal": "alert"},
    context={"interests": ["music", "<b>bold</b>"], "notes": IMG + " & \"quoted\" 'text'"},
)
# One cell in every band, and unrated cells (a whole region and one more function).
EVERY_BAND = make_assessment(
    brainstem=3, diencephalon=6, limbic=12, cortex=None, age=9.5, client_id="BANDS-1",
    functioning={"sleep": None, "gross_motor": 8, "fine_motor": 9, "attachment": 4},
)


# ---------------------------------------------------------------- running and parsing


@pytest.fixture(scope="session")
def cli(tmp_path_factory):
    """``cli(*args)`` -> text written by ``seqplan *args -o FILE``; cached, must exit 0.

    In-process (click's runner) to stay fast; the determinism tests below run separate
    processes and compare their bytes with these."""
    from click.testing import CliRunner

    from planner.cli import main

    out_dir = tmp_path_factory.mktemp("reports")
    cache, counter, runner = {}, itertools.count(), CliRunner()

    def run(*args):
        if args not in cache:
            out = out_dir / f"out-{next(counter)}"
            result = runner.invoke(main, [*map(str, args), "-o", str(out)])
            assert result.exit_code == 0, f"seqplan {' '.join(map(str, args))}: {result.output}"
            assert result.stdout == "", "with -o nothing should go to stdout"
            cache[args] = out.read_text(encoding="utf-8")
        return cache[args]
    return run


@pytest.fixture(scope="session")
def inputs(tmp_path_factory):
    """Written assessment files: hostile input, every band, and a hostile follow-up."""
    d = tmp_path_factory.mktemp("inputs")
    later = make_assessment(brainstem=7, diencephalon=8, limbic=10, cortex=12, age=7.75, client_id="XSS-1",
                            name=SCRIPT, assessor=IMG, assessed_on="2027-02-01",
                            current={"relational_health": 8, "arousal": "calm"},
                            context={"notes": IMG})
    return {"hostile": write_assessment(d, HOSTILE, "hostile"),
            "hostile-later": write_assessment(d, later, "hostile-later"),
            "every-band": write_assessment(d, EVERY_BAND, "every-band")}


def _plan_args(source):
    """CLI arguments naming an example (``--example``) or a file for ``seqplan plan``."""
    return ("--example", source) if isinstance(source, str) else (source,)


def plan_json(cli, source):
    return json.loads(cli("plan", *_plan_args(source), "--format", "json"))


def svg_root(text):
    """Parse the SVG; it must be a well-formed XML document with an <svg> root."""
    root = ET.fromstring(text)
    assert root.tag == SVG + "svg", root.tag
    return root


def cells(root):
    return root.findall(f".//{SVG}g[@class='cell']")


def points(polygon):
    return [tuple(map(float, p.split(","))) for p in polygon.get("points").split()]


def luminance(hex_colour):
    """WCAG relative luminance of '#rrggbb'."""
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a, b):
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def solid_fill(root, fill):
    """A fill as '#rrggbb': itself, or the background of the pattern it references."""
    m = re.fullmatch(r"url\(#([\w-]+)\)", fill)
    if not m:
        return fill.lower()
    pattern = root.find(f".//{SVG}pattern[@id='{m.group(1)}']")
    assert pattern is not None, f"fill {fill} references a missing pattern"
    return pattern.find(f"{SVG}rect").get("fill").lower()


class Doc(HTMLParser):
    """A flat view of an HTML document: start tags with attributes (and the index of the
    <svg> they sit in, or None), text outside <style>/<script>, and the stylesheets."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements, self.texts, self.styles = [], [], []
        self._stack, self._svg_count, self._svg = [], 0, None
        self.feed(text)
        self.close()
        self.text = " ".join(" ".join(self.texts).split())

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self._svg = self._svg_count
            self._svg_count += 1
        self.elements.append((tag, dict(attrs), self._svg))
        self._stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), self._svg))

    def handle_endtag(self, tag):
        if tag == "svg":
            self._svg = None
        if tag in self._stack:
            while self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        current = self._stack[-1] if self._stack else None
        if current == "style":
            self.styles.append(data)
        elif current != "script":
            self.texts.append(data)

    def tags(self, name, **attrs):
        return [(a, svg) for t, a, svg in self.elements
                if t == name and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def cell_bands(self, svg_index=None):
        return {a["data-function"]: a["data-band"] for a, svg in self.tags("g", **{"class": "cell"})
                if svg_index is None or svg == svg_index}


def plan_bands(plan):
    return {f["id"]: f["band"] for r in plan["regions"] for f in r["functions"]}


# ---------------------------------------------------------------- the therapist's Markdown plan

# The fullest example plan grew with brief v3 (history by period, referrals to consider, the
# co-regulation steps the day's limit no longer cuts): 1,700 words; the budget keeps it there.
MAX_PLAN_WORDS, MAX_SUMMARY_LINES = 1800, 25


def md_section(text, heading):
    """The body of the ``## heading`` section of a Markdown plan."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |^---$|\Z)", text, re.M | re.S)
    assert match, f"no section '{heading}'"
    return match.group(1)


def opens_when(deferred):
    """What opens a deferral's gate: ``gate_until`` where the plan has it (its ``until`` then
    also names the other blockers), else ``until``."""
    return deferred.get("gate_until", deferred["until"])


def sentences(text):
    return [s for s in re.split(r"(?<=\.)\s+", text) if s]


@pytest.mark.parametrize("example", EXAMPLES)
def test_plan_opens_with_a_summary_of_at_most_25_lines(cli, example):
    text = cli("plan", "--example", example)
    plan = plan_json(cli, example)
    assert re.findall(r"^## (.+)$", text, re.M)[0] == "Summary", "the summary comes first"
    summary = md_section(text, "Summary")
    lines = [line for line in summary.splitlines() if line.strip()]
    print(f"{example}: summary {len(lines)} lines")
    assert len(lines) <= MAX_SUMMARY_LINES, summary
    # Where to start and why; the first phase's steps with who, how often, how long, where.
    assert plan["start"]["because"] in summary
    first = [s for s in plan["steps"] if s["phase"] == plan["steps"][0]["phase"]]
    for step in first:
        row = _md_row(summary, f"{step['id']} {step['name']}")
        assert row[1:] == [", ".join(step["dose"]["who"]).replace("_", " "), step["dose"]["frequency"],
                           step["dose"]["minutes"], ", ".join(step["dose"]["where"])], row
    # What waits, and when it opens; when to review and what counts as progress.
    for until in {opens_when(d) for d in plan["deferred"]              # not those that would fail Relevant
                  if not any(b["r"] == "relevant" for b in d.get("also_blocked_by", []))}:
        assert until in summary or "more groups" in summary
    # The review: the reason that set the interval (the shortest) is in the summary.
    reasons = plan["review"]["reasons"]
    controlling = min(reasons, key=lambda r: r["weeks"])
    assert controlling["weeks"] == plan["review"]["weeks"] and controlling["because"] in summary
    assert [r for r in reasons if r["because"] in summary] == [controlling], "only the controlling reason"


@pytest.mark.parametrize("example", EXAMPLES)
def test_therapist_plan_is_at_most_1500_words(cli, example):
    words = len(cli("plan", "--example", example).split())
    print(f"{example}: {words} words")
    assert words <= MAX_PLAN_WORDS


@pytest.mark.parametrize("example", EXAMPLES)
def test_steps_say_their_reasons_and_6_rs_and_rules_sit_in_the_evidence(cli, example):
    text = cli("plan", "--example", example)
    plan = plan_json(cli, example)
    steps = md_section(text, "Steps")
    for step in plan["steps"]:
        assert f"### {step['id']}. " in steps and step["name"] in steps
        for sentence in sentences(step["because"]):
            assert sentence in steps, f"{step['id']}: '{sentence}' is missing"
        for r, how in step["six_rs"].items():
            for clause in re.split(r"; | (?=\()", how):
                # a lone aside ("(range 0-2)") is left out once the reason before it is shared
                assert clause in steps or clause.startswith("("), f"{step['id']} {r}: '{clause}' is missing"
    rule_ids = {r for s in plan["steps"] for r in s["rules"]}
    assert not [r for r in rule_ids if r in steps], "rule ids belong in the Evidence section"
    evidence = md_section(text, "Evidence")
    # Each step's rules: on its group's line, or on the line of the rules behind every step.
    every = next((line for line in evidence.splitlines() if line.startswith("- Every step: ")), "")
    for step in plan["steps"]:
        line = next(line for line in evidence.splitlines() if re.match(rf"- (S\d+, )*{step['id']}\b", line))
        assert all(r in line or r in every for r in step["rules"]), f"{step['id']}: rules missing from {line}"
    shared = every.removeprefix("- Every step: ").split(", ") if every else []
    assert all(r in s["rules"] for r in shared for s in plan["steps"]), "'Every step' holds only shared rules"
    for source in {c.split("#")[0] for s in plan["steps"] for c in s["sources"]}:
        assert source in evidence


def test_deferrals_and_exclusions_are_grouped_by_reason(cli, kb):
    text = cli("plan", "--example", "young-child-brainstem")
    plan = plan_json(cli, "young-child-brainstem")
    deferred = md_section(text, "Deferred")
    for item in plan["deferred"]:
        assert item["name"] in deferred
        assert deferred.count(f"Until: {opens_when(item)}.") == 1, "one entry per `until`, listing its activities"
    # Each gate rule's reason once, for the first region it names, with the others it holds for.
    gates = {}
    for item in plan["deferred"]:
        for gate in item["gates"]:
            gates.setdefault(gate["rule"], []).append(gate)
    for rule, found in gates.items():
        assert deferred.count(found[0]["because"]) == 1
        assert not [g for g in found if g["by"] != found[0]["by"] and g["because"] in deferred], rule
        for other in {g["by"] for g in found} - {found[0]["by"]}:
            assert f"The same applies to the {kb.label(other)}" in deferred
    ungrouped = sum(len(d["because"].split()) for d in plan["deferred"])
    assert len(deferred.split()) < ungrouped / 2, "the deferral paragraph is said once, not once per activity"
    excluded = md_section(text, "Not recommended now")
    reasons = {(f["r"], f["because"]) for e in plan["excluded"] for f in e["fails"]}
    for r, because in reasons:       # a referral is not one of the six Rs: said as what it is
        assert excluded.count(f"- Also: {because}." if r == "referral" else f"**{r.capitalize()}**: {because}:") == 1
    for item in plan["excluded"]:
        assert item["name"] in excluded


@pytest.mark.parametrize("example", ["young-child-brainstem", "middle-limbic"])
def test_auditor_view_keeps_every_detail(cli, example):
    text = cli("plan", "--example", example, "--audience", "auditor")
    plan = plan_json(cli, example)
    for step in plan["steps"]:
        assert step["because"] in text and step["description"] in text
        assert all(how in text for how in step["six_rs"].values())
        assert f"**Rules:** {', '.join(step['rules'])}" in text
        assert f"**Sources:** {', '.join(step['sources'])}" in text
    for item in plan["deferred"]:
        assert f"**{item['name']}** ({item['phase']}): {item['because']} Until: {item['until']}." in text
    for item in plan["excluded"]:
        assert all(f"{f['because']} ({f['rule']})" in text for f in item["fails"])
    assert all(r["because"] in text for r in plan["review"]["reasons"])
    assert all(m["because"] in text for m in plan["in_the_moment"])
    assert "## Trace" in text


def test_therapist_plan_points_to_what_it_leaves_to_the_other_views(cli):
    """Young-child-brainstem has three review reasons and four in-the-moment entries: the
    therapist's plan says how many more there are and where; the trainer's view has them all."""
    text = cli("plan", "--example", "young-child-brainstem")
    trainer = cli("plan", "--example", "young-child-brainstem", "--audience", "trainer")
    plan = plan_json(cli, "young-child-brainstem")
    reasons, moments = plan["review"]["reasons"], plan["in_the_moment"]
    assert len(reasons) > 1 and len(moments) > 1
    assert f"({len(reasons) - 1} more reasons: `--audience auditor`.)" in md_section(text, "Summary")
    assert moments[0]["because"] in text and not [m for m in moments[1:] if m["because"] in text]
    assert f"{len(moments) - 1} more for this child: `--audience trainer`." in md_section(text, "In the moment")
    assert all(r["because"] in trainer for r in reasons) and all(m["because"] in trainer for m in moments)


@pytest.mark.parametrize("example", ["young-child-brainstem", "middle-limbic"])
def test_trainer_view_states_each_principle_once(cli, kb, example):
    text = cli("plan", "--example", example, "--audience", "trainer")
    plan = plan_json(cli, example)
    principles = {kb.rules[r]["principle"] for s in plan["steps"] for r in s["rules"]}
    for principle in principles:
        assert text.count(principle) == 1, f"stated {text.count(principle)} times: {principle}"
    assert len(text.split()) <= 2 * MAX_PLAN_WORDS


# ---------------------------------------------------------------- the map (SVG)


@pytest.mark.parametrize("example", EXAMPLES)
def test_map_has_one_cell_per_function_banded_as_in_the_plan(cli, example):
    root = svg_root(cli("map", example))
    found = {g.get("data-function"): g.get("data-band") for g in cells(root)}
    assert len(cells(root)) == 32 and sorted(found) == sorted(ALL_FUNCTIONS)
    assert found == plan_bands(plan_json(cli, example))
    for g in cells(root):
        assert len(g.findall(f"{SVG}polygon")) == 1, g.get("data-function")


def test_map_cells_of_a_file_match_its_plan_including_unrated(cli, inputs):
    root = svg_root(cli("map", inputs["every-band"]))
    found = {g.get("data-function"): g.get("data-band") for g in cells(root)}
    expected = plan_bands(plan_json(cli, inputs["every-band"]))
    assert found == expected
    assert set(expected.values()) == set(ALL_BANDS), "the fixture should reach every band"


def _row_box(root, region):
    group = root.find(f".//{SVG}g[@data-region='{region}']")
    assert group is not None, f"no row for {region}"
    assert sorted(g.get("data-function") for g in cells(group)) == sorted(REGION_FUNCTIONS[region])
    xy = [p for poly in group.iter(SVG + "polygon") for p in points(poly)]
    xs, ys = [x for x, _ in xy], [y for _, y in xy]
    return min(xs), max(xs), min(ys), max(ys)


@pytest.mark.parametrize("example", ["young-child-brainstem", "teen-cortical"])
def test_map_is_an_inverted_triangle_cortex_on_top(cli, example):
    root = svg_root(cli("map", example))
    boxes = {region: _row_box(root, region) for region in REGION_FUNCTIONS}
    cortex, brainstem = boxes["cortex"], boxes["brainstem"]
    assert cortex[1] - cortex[0] > brainstem[1] - brainstem[0], "the cortex row must be wider"
    assert cortex[3] <= brainstem[2], "the cortex row must sit above the brainstem row"
    # Every row, top to bottom: cortex, limbic, diencephalon, brainstem; each lower and narrower.
    top_down = [boxes[r] for r in reversed(REGION_FUNCTIONS)]
    for upper, lower in zip(top_down, top_down[1:]):
        assert upper[3] <= lower[2] + 1e-6, (upper, lower)
        assert upper[1] - upper[0] > lower[1] - lower[0], (upper, lower)
    # Centred: the rows share an axis.
    centres = {round((b[0] + b[1]) / 2, 1) for b in boxes.values()}
    assert max(centres) - min(centres) < 1, centres
    # Inside the drawing.
    _, _, width, height = map(float, root.get("viewBox").split())
    for box in boxes.values():
        assert 0 <= box[0] and box[1] <= width and 0 <= box[2] and box[3] <= height, box


def test_map_marks_unrated_functions(cli, inputs):
    root = svg_root(cli("map", inputs["every-band"]))
    unrated = [g for g in cells(root) if g.get("data-band") == "unrated"]
    assert sorted(g.get("data-function") for g in unrated) == sorted(REGION_FUNCTIONS["cortex"] + ["sleep"])
    rated_fills = {g.find(f"{SVG}polygon").get("fill") for g in cells(root) if g.get("data-band") != "unrated"}
    for g in unrated:
        fill = g.find(f"{SVG}polygon").get("fill")
        assert fill.startswith("url(#"), f"{g.get('data-function')}: unrated cells are hatched, not {fill}"
        assert fill not in rated_fills
        solid_fill(root, fill)  # the pattern exists
        assert g.find(f"{SVG}text").text.strip() == "?"
        assert "not rated" in g.find(f"{SVG}title").text
    for g in cells(root):
        if g.get("data-band") != "unrated":
            assert g.find(f"{SVG}text").text.strip().isdigit()


def test_map_has_a_legend_and_a_text_alternative(cli):
    root = svg_root(cli("map", "middle-limbic"))
    plan = plan_json(cli, "middle-limbic")
    assert root.get("role") == "img"
    labelled_by = root.get("aria-labelledby").split()
    assert len(labelled_by) == 2
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    title, desc = (by_id[i] for i in labelled_by)
    assert title.tag == SVG + "title" and desc.tag == SVG + "desc"
    assert root.find(f"{SVG}title") is title and root.find(f"{SVG}desc") is desc, "direct children of <svg>"
    assert plan["client"]["id"] in title.text
    for region in plan["regions"]:
        assert region["label"] in desc.text
        for f in region["functions"]:
            shown = "unrated" if f["score"] is None else str(f["score"])
            assert f"{f['label']} {shown}" in desc.text, f"the description misses {f['label']}"
    legend = root.find(f".//{SVG}g[@class='legend']")
    assert legend is not None, "no legend"
    texts = " ".join(t.text or "" for t in legend.iter(SVG + "text"))
    for label in ("Typical", "Mild", "Moderate", "Severe", "Not rated"):
        assert label in texts
    assert len(legend.findall(f"{SVG}rect")) == 5


def band_colours(cli, inputs):
    """band -> '#rrggbb' as drawn in the cells, checked against the legend's swatches."""
    root = svg_root(cli("map", inputs["every-band"]))
    colours = {}
    for g in cells(root):
        fill = solid_fill(root, g.find(f"{SVG}polygon").get("fill"))
        assert colours.setdefault(g.get("data-band"), fill) == fill, f"two fills for band {g.get('data-band')}"
    legend = root.find(f".//{SVG}g[@class='legend']")
    swatches = [solid_fill(root, r.get("fill")) for r in legend.findall(f"{SVG}rect")]
    assert sorted(swatches) == sorted(colours.values()), "the legend shows other colours than the cells"
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in swatches), swatches
    return colours


def test_band_colours_are_distinct_and_step_in_lightness(cli, inputs):
    colours = band_colours(cli, inputs)
    assert set(colours) == set(ALL_BANDS)
    assert len(set(colours.values())) == 5, colours
    lum = {band: luminance(colour) for band, colour in colours.items()}
    # Along the scale, each band is told apart by lightness alone, in one direction.
    steps = [lum[a] - lum[b] for a, b in zip(BANDS, BANDS[1:])]
    assert all(s >= 0.05 for s in steps) or all(s <= -0.05 for s in steps), \
        f"lightness must change monotonically by >= 0.05 from typical to severe: {lum}"
    # And any two bands (unrated included) differ in lightness, not only in hue.
    for (a, la), (b, lb) in itertools.combinations(sorted(lum.items()), 2):
        assert abs(la - lb) >= 0.05, f"{a} {colours[a]} ({la:.3f}) and {b} {colours[b]} ({lb:.3f}) " \
                                     "differ too little in lightness for colour-blind readers"


def test_ratings_printed_on_cells_are_legible(cli, inputs):
    """WCAG 2 AA for normal text (1.4.3): the number on each cell contrasts 4.5:1 with its fill."""
    root = svg_root(cli("map", inputs["every-band"]))
    poor = set()
    for g in cells(root):
        fill = solid_fill(root, g.find(f"{SVG}polygon").get("fill"))
        ink = g.find(f"{SVG}text").get("fill")
        if contrast(fill, ink) < 4.5:
            poor.add(f"{g.get('data-band')}: {ink} on {fill} = {contrast(fill, ink):.2f}:1")
    assert not poor, f"cell numbers below 4.5:1 contrast: {sorted(poor)}"


# ---------------------------------------------------------------- the HTML report


FETCHING_ATTRIBUTES = ("src", "href", "xlink:href", "srcset", "data", "poster", "action", "formaction",
                       "background", "manifest", "ping")


def network_fetches(text):
    """Everything in an HTML document that would fetch something (local fragments and data:
    URLs are self-contained)."""
    doc = Doc(text)
    found = []
    for tag, attrs, _ in doc.elements:
        for name, value in attrs.items():
            if name in FETCHING_ATTRIBUTES and value is not None and not re.match(r"\s*(#|data:)", value):
                found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and value and re.search(r"url\(\s*['\"]?(?!#|data:)", value):
                found.append(f"<{tag} style={value!r}>")
        if tag in ("script", "link", "iframe", "object", "embed", "img", "base"):
            found.append(f"<{tag} {attrs}>")
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            found.append("<meta http-equiv=refresh>")
    for css in doc.styles:
        if "@import" in css:
            found.append("@import")
        found += [f"url({u})" for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", css) if not u.startswith(("#", "data:"))]
    found += re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//[^\s"'>]+""", text, re.I)
    return found


@pytest.mark.parametrize("example", EXAMPLES)
def test_html_report_is_self_contained(cli, example):
    text = cli("plan", "--example", example, "--format", "html")
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert network_fetches(text) == []
    doc = Doc(text)
    assert any(css.strip() for css in doc.styles), "the CSS is inline"


@pytest.mark.parametrize("example", EXAMPLES)
def test_html_summary_lists_the_first_steps_with_who_how_often_how_long_and_where(cli, example):
    import html

    text = cli("plan", "--example", example, "--format", "html")
    plan = plan_json(cli, example)
    summary = re.search(r'<section class="summary".*?</section>', text, re.S).group(0)
    rows = {cells[0]: cells[1:] for cells in
            ([html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)] for row in re.findall(r"<tr>(.*?)</tr>", summary))
            if cells}
    first = [s for s in plan["steps"] if s["phase"] == plan["steps"][0]["phase"]]
    for step in first:
        assert rows[f"{step['id']} {step['name']}"] == [
            ", ".join(step["dose"]["who"]).replace("_", " "), step["dose"]["frequency"],
            step["dose"]["minutes"], ", ".join(step["dose"]["where"])]


@pytest.mark.parametrize("example", ["young-child-brainstem", "middle-limbic"])
def test_html_report_contents(cli, kb, example):
    text = cli("plan", "--example", example, "--format", "html")
    plan = plan_json(cli, example)
    doc = Doc(text)
    # The map, inline, as `seqplan map` draws it.
    svgs = doc.tags("svg")
    assert len(svgs) == 1 and svgs[0][0].get("class") == "brain-map"
    assert doc.cell_bands() == plan_bands(plan)
    assert cli("map", example).strip() in text
    # The region table.
    for region in plan["regions"]:
        assert region["label"] in doc.text and region["band"].replace("_", " ") in doc.text
    # Steps with their ids, justifications (what steps share is said once) and sources.
    ids = {a.get("id") for a, _ in doc.tags("article")}
    for step in plan["steps"]:
        assert step["id"] in ids and step["id"] in doc.text
        assert step["name"] in doc.text
        for sentence in sentences(step["because"]):
            assert sentence in doc.text, f"{step['id']}: '{sentence}' missing"
        for source in step["sources"]:
            assert source in doc.text
    for item in plan["deferred"]:
        assert item["name"] in doc.text, f"deferred {item['name']} missing"
        assert opens_when(item) in doc.text
        for gate in item["gates"]:    # each gate rule's reason, or its region named beside it
            assert gate["because"] in doc.text or f"The same applies to the {kb.label(gate['by'])}" in doc.text
    for strength in plan["strengths"]:
        assert f"{strength['label']} ({strength['score']}/" in doc.text
    # The review's controlling reason in the summary, every reason in the report.
    summary = Doc(re.search(r'<section class="summary".*?</section>', text, re.S).group(0)).text
    assert plan["review"]["reasons"][0]["because"] in summary
    assert all(r["because"] in doc.text for r in plan["review"]["reasons"])
    assert all(m["because"] in doc.text for m in plan["in_the_moment"] + plan["goals"])
    # The summary comes first, before the map.
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert headings[:3] == ["Summary", "Functional brain map", "Steps"], headings
    assert headings[-1] == "Sign-off"
    # The disclaimer and a print stylesheet.
    assert "independent tool informed by the Neurosequential Model" in doc.text
    assert "not the NMT Metric" in doc.text
    assert any("@media print" in css for css in doc.styles)


def test_html_report_shows_deferred_work_of_the_brainstem_example(cli):
    plan = plan_json(cli, "young-child-brainstem")
    assert len(plan["deferred"]) >= 5, "the example defers reason-stage work"
    text = Doc(cli("plan", "--example", "young-child-brainstem", "--format", "html")).text
    section = text[text.index("Deferred"):]
    for item in plan["deferred"]:
        assert item["name"] in section


def test_html_ids_are_unique(cli):
    text = cli("plan", "--example", "young-child-brainstem", "--format", "html")
    ids = [a["id"] for _, a, _ in Doc(text).elements if "id" in a]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


# ---------------------------------------------------------------- escaping


def _assert_inert(doc, raw):
    """No markup from the input: no <script>/<img>, no on* handler; the input shows as text."""
    assert not doc.tags("script") and not doc.tags("img") and not doc.tags("b")
    handlers = [(t, n) for t, a, _ in doc.elements for n in a if n.startswith("on")]
    assert handlers == []
    assert SCRIPT not in raw and IMG not in raw
    assert "&lt;script&gt;" in raw


def test_html_report_escapes_every_input_value(cli, inputs):
    raw = cli("plan", inputs["hostile"], "--format", "html")
    doc = Doc(raw)
    _assert_inert(doc, raw)
    assert SCRIPT in doc.text, "the client name shows as text"
    assert f"Sequenced plan for {SCRIPT}" in doc.text
    assert doc.text.count(IMG) >= 2, "assessor and notes show as text"
    assert IMG + " & \"quoted\" 'text'" in doc.text
    assert "<b>bold</b>" in doc.text, "an unrecognised interest is listed as text"
    assert network_fetches(raw) == []


def test_map_escapes_the_client_name(cli, inputs):
    raw = cli("map", inputs["hostile"])
    root = svg_root(raw)   # a name with < & > keeps the SVG well-formed
    assert root.find(f"{SVG}title").text == f"Functional brain map for {SCRIPT}"
    assert not [el for el in root.iter() if el.tag.split("}")[-1] in ("script", "img", "foreignObject")]
    assert not [name for el in root.iter() for name in el.attrib if name.startswith("on")]
    assert SCRIPT not in raw


def test_progress_html_escapes_every_input_value(cli, inputs):
    raw = cli("progress", inputs["hostile"], inputs["hostile-later"], "--format", "html")
    doc = Doc(raw)
    _assert_inert(doc, raw)
    assert f"Progress for {SCRIPT}" in doc.text
    assert network_fetches(raw) == []


# ---------------------------------------------------------------- progress


def _md_row(text, first_cell):
    for line in text.splitlines():
        cells_ = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells_[0] == first_cell:
            return cells_
    raise AssertionError(f"no table row for {first_cell}")


def test_progress_json_on_the_bundled_pair(cli):
    report = json.loads(cli("progress", OLD, NEW, "--format", "json"))
    assert report["format"] == "seqplan/progress-1"
    assert report["client"]["id"] == "EX-001"
    assert (report["old"]["assessed_on"], report["new"]["assessed_on"]) == ("2026-10-12", "2027-01-11")
    regions = {r["id"]: r for r in report["regions"]}
    assert [r["id"] for r in report["regions"]] == list(REGION_FUNCTIONS)
    b = regions["brainstem"]
    assert (b["old_band"], b["new_band"], b["direction"]) == ("severe", "moderate", "better")
    assert b["change"] == pytest.approx(b["new_mean"] - b["old_mean"], abs=0.011) and b["change"] > 0
    assert regions["cortex"]["direction"] == "same"
    functions = {f["id"]: f for f in report["functions"]}
    assert sorted(functions) == sorted(ALL_FUNCTIONS)
    arousal = functions["arousal_regulation"]
    assert (arousal["old"], arousal["new"], arousal["change"]) == (3, 7, 4)
    assert (arousal["old_band"], arousal["new_band"], arousal["direction"]) == ("severe", "moderate", "better")
    assert functions["planning"]["change"] == 0 and functions["planning"]["direction"] == "same"
    # Bands agree with the two plans.
    old_bands, new_bands = plan_bands(plan_json(cli, OLD)), plan_bands(plan_json(cli, NEW))
    for f in report["functions"]:
        assert (f["old_band"], f["new_band"]) == (old_bands[f["id"]], new_bands[f["id"]])
    gates = {(g["stage"], g["by"]): g for g in report["gates"]}
    assert gates[("reason", "arousal")]["status"] == "opened"
    assert gates[("reason", "arousal")]["was"] == "alarm"
    assert gates[("reason", "brainstem")]["status"] == "still closed"
    assert not [g for g in report["gates"] if g["status"] == "closed"]
    added = [p for p in report["plan_changes"] if p["change"] == "added"]
    assert added and {p["phase"] for p in added} <= {"regulate", "relate"}
    assert {p["name"] for p in added} >= {"Contact with animals"}
    # The brainstem grew past an infant level (developmental age 1.4 -> 2.9 years): its
    # infant-level step gives way to one for the older age.
    removed = [p["activity"] for p in report["plan_changes"] if p["change"] == "removed"]
    # Relational health rose from 4 to 7: the daily one-to-one time for very low relational
    # health (REL-008) gives way too.
    assert removed == ["rocking_to_song", "daily_one_to_one", "serve_and_return", "lap_rhymes_peekaboo"]
    new_steps = {s["activity"]: s for s in plan_json(cli, NEW)["steps"]}
    old_steps = {s["activity"] for s in plan_json(cli, OLD)["steps"]}
    assert {p["activity"] for p in added} == set(new_steps) - old_steps


def test_progress_markdown_on_the_bundled_pair(cli):
    text = cli("progress", OLD, NEW, "--format", "md")
    row = _md_row(text, "Brainstem")
    assert row[4:7] == ["severe", "moderate", "better"], row
    assert row[3].startswith("+")
    assert _md_row(text, "Arousal regulation")[-1] == "severe -> moderate (better)"
    assert re.search(r"gated by arousal: \*\*opened\*\* \(was alarm\)", text)
    assert re.search(r"gated by brainstem: \*\*still closed\*\*", text)
    added = re.findall(r"^- Added: (.+) \((\w+)\)$", text, re.M)
    assert added and {phase for _, phase in added} <= {"regulate", "relate"}
    assert "Contact with animals" in {name for name, _ in added}
    # The brainstem grew past an infant level (developmental age 1.4 -> 2.9 years).
    assert re.findall(r"^- Removed: (.+) \((\w+)\)$", text, re.M) == [
        ("Rocking to song", "regulate"), ("Daily one-to-one time with a named adult", "relate"),
        ("Serve and return", "relate"), ("Lap rhymes and peekaboo", "relate")]
    report = json.loads(cli("progress", OLD, NEW, "--format", "json"))
    assert {name for name, _ in added} == {p["name"] for p in report["plan_changes"] if p["change"] == "added"}
    assert "not the\n> NMT Metric" in text or "not the NMT Metric" in text


def test_progress_html_on_the_bundled_pair(cli):
    raw = cli("progress", OLD, NEW, "--format", "html")
    doc = Doc(raw)
    assert network_fetches(raw) == []
    svgs = doc.tags("svg")
    maps = [index for attrs, index in svgs if attrs.get("class") == "brain-map"]
    assert len(maps) == 2, "both maps, side by side"
    assert [a.get("class") for a, _ in svgs].count("trend") == 1, "and the trend chart"
    assert doc.cell_bands(maps[0]) == plan_bands(plan_json(cli, OLD))
    assert doc.cell_bands(maps[1]) == plan_bands(plan_json(cli, NEW))
    assert {a.get("class") for a, _ in doc.tags("div")} >= {"maps"}
    assert re.search(r"Brainstem 3\.75 7\.38 \+3\.63 severe moderate \(better\)", doc.text)
    assert re.search(r"gated by arousal: opened", doc.text)
    report = json.loads(cli("progress", OLD, NEW, "--format", "json"))
    added = [p for p in report["plan_changes"] if p["change"] == "added"]
    assert added
    for p in added:
        assert f"Added: {p['name']} ({p['phase']})" in doc.text
    assert "not the NMT Metric" in doc.text
    assert any("@media print" in css for css in doc.styles)


def test_progress_html_maps_have_their_own_ids(cli):
    """Two inline maps in one document: every id must be unique, and each map's
    aria-labelledby must name its own <title>/<desc>, or a screen reader describes the new
    map with the old map's scores (getElementById returns the first match)."""
    doc = Doc(cli("progress", OLD, NEW, "--format", "html"))
    ids = [a["id"] for _, a, _ in doc.elements if "id" in a]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate ids in the progress HTML: {duplicates}"
    for svg_attrs, index in doc.tags("svg"):
        own = {a["id"] for _, a, svg in doc.elements if svg == index and "id" in a}
        assert set(svg_attrs["aria-labelledby"].split()) <= own


def test_progress_refuses_different_clients(tmp_path):
    old = write_assessment(tmp_path, make_assessment(client_id="A-1", assessed_on="2026-01-01"), "old")
    new = write_assessment(tmp_path, make_assessment(client_id="B-2", assessed_on="2026-06-01"), "new")
    out = tmp_path / "progress.md"
    result = run_cli("progress", old, new, "-o", out)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "client.id" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".progress.md.*")), "no temporary file left behind"


def test_progress_refuses_two_assessments_of_one_day(tmp_path):
    a = write_assessment(tmp_path, make_assessment(client_id="C-3", assessed_on="2026-03-01"), "a")
    b = write_assessment(tmp_path, make_assessment(client_id="C-3", assessed_on="2026-03-01", cortex=8), "b")
    out = tmp_path / "progress.html"
    result = run_cli("progress", a, b, "--format", "html", "-o", out)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "assessed_on" in lines[0], result.stderr
    assert not out.exists()


def _series(tmp_path, dates=("2026-01-10", "2026-04-10", "2026-08-10"), client_ids=("S-1", "S-1", "S-1")):
    """Three assessments of one child, getting better: brainstem 3 -> 6 -> 9, relational health 3 -> 6 -> 9."""
    paths = []
    for i, (day, client) in enumerate(zip(dates, client_ids)):
        data = make_assessment(brainstem=3 + 3 * i, diencephalon=4 + 3 * i, limbic=5 + 2 * i, cortex=6 + i,
                               age=6 + i * 0.3, client_id=client, name="Sasha", assessed_on=day,
                               current={"relational_health": 3 + 3 * i, "arousal": "alarm" if i == 0 else "calm"},
                               context={"notes": "Lives with aunt Mary at 12 Elm Street", "team": ["caregiver", "teacher"]})
        paths.append(write_assessment(tmp_path, data, f"s{i}"))
    return paths


def test_progress_over_a_series_of_three(cli, tmp_path):
    paths = _series(tmp_path)
    report = json.loads(cli("progress", *paths, "--format", "json"))
    series = report["series"]
    assert [p["assessed_on"] for p in series["assessments"]] == ["2026-01-10", "2026-04-10", "2026-08-10"]
    assert [p["relational_health"] for p in series["assessments"]] == [3, 6, 9]
    brainstem = [next(r for r in p["regions"] if r["id"] == "brainstem")["mean"] for p in series["assessments"]]
    assert brainstem == [3, 6, 9]
    assert [(i["from"], i["to"]) for i in series["intervals"]] == [("2026-01-10", "2026-04-10"), ("2026-04-10", "2026-08-10")]
    first = series["intervals"][0]
    assert any(g["by"] == "arousal" and g["status"] == "opened" for g in first["gates"]), "alarm -> calm opens the arousal gate"
    assert {t["id"] for t in first["transitions"]} >= {"brainstem"}
    # first vs last, as for two assessments
    assert (report["old"]["assessed_on"], report["new"]["assessed_on"]) == ("2026-01-10", "2026-08-10")

    md = cli("progress", *paths, "--format", "md")
    trend = md[md.index("## Trend"):md.index("## Regions")]
    assert len(re.findall(r"^\| 2026-", trend, re.M)) == 3
    assert "## 2026-01-10 to 2026-04-10" in md and "## 2026-04-10 to 2026-08-10" in md
    assert re.search(r"^- Brainstem: severe -> (moderate|mild) \(better\)$", md, re.M)

    html = cli("progress", *paths, "--format", "html")
    root = ET.fromstring(re.search(r'<svg[^>]*class="trend".*?</svg>', html, re.S).group(0))
    lines = {g.get("data-series"): g for g in root.iter(f"{SVG}g") if g.get("class") == "series"}
    assert set(lines) == {"brainstem", "diencephalon", "limbic", "cortex", "relational_health"}
    for name, g in lines.items():
        pts = [tuple(map(float, p.split(","))) for p in g.find(f"{SVG}polyline").get("points").split()]
        assert len(pts) == 3, name
        assert pts[0][0] < pts[1][0] < pts[2][0], f"{name}: dates run left to right"
        assert pts[0][1] > pts[2][1], f"{name}: a rising score climbs the chart"
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Relational health 9" in texts and "Brainstem 9" in texts, "each line is labelled at its end"
    assert "2026-04-10" in texts
    assert root.find(f"{SVG}title") is not None and "2026-08-10: Brainstem 9" in root.find(f"{SVG}desc").text
    assert network_fetches(html) == []


@pytest.mark.parametrize("case", ["another client", "one file"])
def test_progress_series_refuses_bad_input(tmp_path, case):
    if case == "another client":
        paths = _series(tmp_path, client_ids=("S-1", "S-1", "T-9"))
        field, name = "client.id", "s2.yaml"
    else:
        paths, field, name = _series(tmp_path)[:1], "FILE", "seqplan progress"
    out = tmp_path / "progress.md"
    result = run_cli("progress", *paths, "-o", out)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and name in lines[0], result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


# ---------------------------------------------------------------- redaction, in every format

PRIVATE = ("Sasha", "Dr Jones", "aunt Mary", "Elm Street")


def _private_series(tmp_path):
    paths = _series(tmp_path)
    for path in paths:
        data = yaml.safe_load(path.read_text("utf-8"))
        data["assessor"] = "Dr Jones"
        path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return paths


def test_redact_removes_name_assessor_and_notes_from_every_format(cli, tmp_path):
    paths = _private_series(tmp_path)
    first = paths[0]
    unredacted = cli("plan", first)
    assert all(word in unredacted for word in PRIVATE), "the fixture carries every private detail"
    outputs = {f"plan {fmt} {audience}": cli("plan", first, "--format", fmt, "--audience", audience, "--redact")
               for fmt in ("md", "json", "html") for audience in ("therapist", "trainer", "auditor")
               if fmt == "md" or audience == "therapist"}
    outputs.update({f"handout {reader} {fmt}": cli("handout", first, "--for", reader, "--format", fmt, "--redact")
                    for reader in ("caregiver", "teacher") for fmt in ("md", "html")})
    outputs["map"] = cli("map", first, "--redact")
    outputs.update({f"progress {fmt}": cli("progress", *paths, "--format", fmt, "--redact")
                    for fmt in ("md", "html", "json")})
    for what, text in outputs.items():
        leaked = [word for word in PRIVATE if word in text]
        assert not leaked, f"{what} leaks {leaked}"
        if what.startswith(("plan json", "progress json")):
            assert json.loads(text)["redacted"] == ["name", "assessor", "notes"], what
        elif not what.startswith("handout"):
            assert "withheld" in text.lower(), f"{what} does not say what was withheld"
        else:
            assert "left out to keep them private" in text, what
    for what in ("plan md therapist", "plan html therapist"):
        assert "notes withheld" in outputs[what]


def test_redacted_progress_digests_do_not_depend_on_the_name(cli, tmp_path):
    """The progress report's input digests are of the redacted inputs: two series that
    differ only in the child's name give the same digests (nothing to brute-force)."""
    paths = _private_series(tmp_path)
    renamed = []
    for path in paths:
        copy = tmp_path / f"renamed-{path.name}"
        copy.write_text(path.read_text("utf-8").replace(PRIVATE[0], "Somebody Else"), "utf-8")
        renamed.append(copy)
    first = json.loads(cli("progress", *paths, "--format", "json", "--redact"))
    second = json.loads(cli("progress", *renamed, "--format", "json", "--redact"))
    digests = [first["old"]["input_digest"], first["new"]["input_digest"]]
    assert digests == [second["old"]["input_digest"], second["new"]["input_digest"]]
    assert ([p["input_digest"] for p in first["series"]["assessments"]]
            == [p["input_digest"] for p in second["series"]["assessments"]])


# ---------------------------------------------------------------- determinism


@pytest.mark.parametrize("args", [
    ("plan", "--example", "young-child-brainstem", "--format", "html"),
    ("map", "middle-limbic"),
    ("progress", OLD, NEW, "--format", "html"),
    ("progress", OLD, NEW, "--format", "json"),
    ("progress", OLD, NEW, "--format", "md"),
], ids=["html", "svg", "progress-html", "progress-json", "progress-md"])
def test_renders_are_byte_identical(cli, tmp_path, args):
    """Another process, another hash seed, -o FILE or stdout: the same bytes."""
    first = cli(*args).encode("utf-8")
    out = tmp_path / "again"
    again = run_cli(*args, "-o", out, env={"PYTHONHASHSEED": "1"})
    assert again.returncode == 0, again.stderr
    assert out.read_bytes() == first
    stdout = run_cli(*args, env={"PYTHONHASHSEED": "2", "PYTHONIOENCODING": "utf-8"})
    assert stdout.returncode == 0, stdout.stderr
    assert stdout.stdout.encode("utf-8") == first


def test_progress_takes_its_inputs_in_date_order(cli):
    """Issue 22: `seqplan progress LATER EARLIER` (e.g. a glob that sorts by file name) was
    refused; it is now the same report as in date order."""
    assert cli("progress", NEW, OLD, "--format", "json") == cli("progress", OLD, NEW, "--format", "json")
    report = json.loads(cli("progress", NEW, OLD, "--format", "json"))
    dates = [p["assessed_on"] for p in report["series"]["assessments"]]
    assert dates == sorted(dates) and report["old"]["assessed_on"] == dates[0]


# ---------------------------------------------------------------- issue 22: what a reader of the plan meets

CORPUS = Path(__file__).parent / "corpus"


def _corpus_plan(case, fmt="md", audience="therapist"):
    from planner.api import plan_file

    return plan_file(CORPUS / f"{case}.yaml", fmt=fmt, audience=audience)


@pytest.mark.parametrize("case", ["infant-nas-4mo-f", "dignity-infant-level-teen-15m", "rh-low-1-8f"])
def test_no_r_is_followed_by_a_lone_aside(case):
    """Issue 22: '6 Rs (also): Relevant: (range 0-2).' after every step (fixed in 1ede8fc)."""
    for fmt in ("md", "html"):
        text = _corpus_plan(case, fmt)
        assert not re.search(r"\b(?:Relational|Relevant|Repetitive|Rewarding|Rhythmic|Respectful): \(", text), fmt


def test_even_then_names_the_activities_that_would_still_fail():
    """Issue 22: 'Even then, 9 would not be Relevant' without saying which."""
    from planner.api import plan_file, plan_for

    deferred = plan_for("young-child-brainstem").deferred
    text = md_section(plan_file("young-child-brainstem"), "Deferred")
    assert "Even then" in text and not re.search(r"Even then, \d", text)
    (relate,) = [line for line in text.splitlines() if "(relate)" in line]
    named = relate.split("Even then, ", 1)[1]
    not_relevant = named.split(" would not be Relevant")[0]
    referral = named.split("; ", 1)[1].split(" would need a referral")[0]
    for d in deferred:
        if d["phase"] == "relate":
            blocked = {b["r"] for b in d.get("also_blocked_by", ())}
            assert (d["name"] in not_relevant) == ("relevant" in blocked), d["name"]
            assert (d["name"] in referral) == ("referral" in blocked), d["name"]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_waits_counts_the_activities_it_lists(fmt):
    """Issue 22: 'Waits (7 activities; see Deferred)' followed by one."""
    text = _corpus_plan("hospital-burns-7m", fmt)
    assert re.search(r"Waits(?:\*\*|</strong>) \(1 activity of the 7 deferred; the others would not be Relevant "
                     r"even then; see Deferred\)", text), text[:3000]


@pytest.mark.parametrize("fmt, audience", [("html", "therapist"), ("md", "trainer")])
def test_the_review_section_gives_the_reason_that_sets_the_date(fmt, audience):
    """Issue 22: the Review section listed the other reasons but not the summary's controlling one."""
    from planner.api import plan_for

    review = plan_for(CORPUS / "hospital-burns-7m.yaml").review
    assert len(review["reasons"]) > 1
    text = _corpus_plan("hospital-burns-7m", fmt, audience)
    section = unescape(text[text.index(">Review</h2>" if fmt == "html" else "## Review"):])
    assert "Sets the date:" in section[:200]
    for reason in review["reasons"]:
        assert reason["because"] in section
