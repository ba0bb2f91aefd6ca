"""The plan's view model: the groupings the Markdown and HTML plans show, made in Python."""
from planner.outputs.view import by_phase, excluded_by_reason, plan_view
from planner.outputs.render import render_plan
from planner.outputs.view import first_cautions

SIX_RS = ["relevant", "relational", "repetitive", "rewarding", "rhythmic", "respectful"]


def _excluded(name, *fails):
    return {"name": name, "fails": [{"r": r, "because": because, "rule": rule} for r, because, rule in fails]}


def test_excluded_activities_are_grouped_by_reason_in_the_order_of_the_six_rs():
    excluded = [_excluded("Chess", ("respectful", "too old", "R1"), ("relevant", "cortex not ready", "R2")),
                _excluded("Debate", ("relevant", "cortex not ready", "R2")),
                _excluded("Massage", ("referral", "needs an OT", "R3"))]
    groups, once = excluded_by_reason(excluded, SIX_RS)
    assert [(g["r"], g["because"], g["names"]) for g in groups] == [
        ("relevant", "cortex not ready", ["Chess", "Debate"]),
        ("respectful", "too old", ["Chess"]),
        ("referral", "needs an OT", ["Massage"])]
    assert once == []


def test_reasons_named_once_list_each_activity_once_and_no_reason_row():
    excluded = [_excluded("Lap rhymes", ("relevant", "for infants", "OUTGROWN")),
                _excluded("Peekaboo", ("relevant", "for infants, at 2", "OUTGROWN"), ("rewarding", "not liked", "R9"))]
    groups, once = excluded_by_reason(excluded, SIX_RS, named_once=("OUTGROWN",))
    assert once == ["Lap rhymes", "Peekaboo"]
    assert [(g["r"], g["names"]) for g in groups] == [("rewarding", ["Peekaboo"])]


def test_items_by_phase_keep_the_phase_order_and_skip_empty_phases():
    items = [{"phase": "relate", "n": 1}, {"phase": "regulate", "n": 2}, {"phase": "relate", "n": 3}]
    assert by_phase(items, ["regulate", "relate", "reason"]) == [
        ("regulate", [items[1]]), ("relate", [items[0], items[2]])]


def test_the_view_of_a_bundled_plan_splits_first_and_later_steps_and_counts_ratings():
    from planner.api import plan_for

    plan = plan_for("middle-limbic")
    view = plan_view(plan, plan.knowledge, first_cautions(plan))
    assert view["first_steps"] and view["first_steps"] + view["later_steps"] == plan.steps
    assert all(s["phase"] == plan.steps[0]["phase"] for s in view["first_steps"])
    assert len(view["functions"]) == sum(len(r["functions"]) for r in plan.regions)
    assert all(f["score"] is not None and f["band"] != "typical" for f in view["low"])
    assert not view["too_sparse"]
    # what the view says first is what the therapist reads first
    markdown = render_plan(plan, "md")
    assert markdown.index(view["first_steps"][0]["name"]) < markdown.index("## Regions")


def test_the_map_draws_bands_in_the_knowledge_bases_colours_and_kb_check_wants_every_one(kb_copy):
    from planner.api import brain_map, check_knowledge_base

    regions = kb_copy / "regions.yaml"
    text = regions.read_text()
    assert 'severe: {fill: "#67001f", ink: "#ffffff"}' in text
    regions.write_text(text.replace('severe: {fill: "#67001f"', 'severe: {fill: "#123456"'))
    svg = brain_map("young-child-brainstem", kb_dir=kb_copy)
    assert "#123456" in svg and "#67001f" not in svg
    regions.write_text(text.replace('    limbic: {colour: "#7570b3", dash: "2 3", marker: diamond}\n', ""))
    summary, problems = check_knowledge_base(kb_copy)
    assert "regions.yaml styles.lines: no style for 'limbic'" in problems
