"""plan_diff: the one comparison of two plans that progress, what-if, audit and the case record
read. Entries are matched by what they are, not where they are listed."""
from __future__ import annotations

import copy

from planner.plans.diff import plan_diff


def step(activity, ident, phase, **extra):
    return {"id": ident, "activity": activity, "name": activity.title(), "phase": phase, "rules": ["R1"], **extra}


def plan(steps=(), deferred=(), regions=None, gates=(), **extra):
    regions = regions if regions is not None else [
        {"id": "brainstem", "label": "Brainstem", "band": "severe", "mean": 3, "developmental_age_years": 1,
         "functions": [{"id": "sleep", "label": "Sleep", "score": 3, "band": "severe", "rules": []}], "rules": []},
        {"id": "limbic", "label": "Limbic", "band": "mild", "mean": 8, "developmental_age_years": 5,
         "functions": [{"id": "play", "label": "Play", "score": 8, "band": "mild", "rules": []}], "rules": []}]
    return {"kb": {"name": "kb", "version": "1", "digest": "sha256:a"}, "input_digest": "sha256:i",
            "regions": regions, "steps": list(steps), "alternatives": [], "deferred": list(deferred), "excluded": [],
            "cautions": [], "gates": list(gates), "fired": {}, "start": None, "review": {"weeks": 8},
            "regulate_duration": None, **extra}


def test_a_step_in_another_phase_is_moved_not_removed_and_added():
    before = plan([step("rocking", "S1", "regulate"), step("drumming", "S2", "regulate")])
    after = plan([step("drumming", "S1", "regulate"), step("rocking", "S2", "relate")])
    diff = plan_diff(before, after)
    assert not diff.steps.added and not diff.steps.removed
    assert [(a["phase"], b["phase"]) for a, b in diff.steps.changed("phase")] == [("regulate", "relate")]
    # drumming was only renumbered: it moved in the list, not to another phase
    assert [b["activity"] for _, b in diff.steps.changed("id")] == ["drumming", "rocking"]


def test_two_swapped_steps_are_one_swap_naming_both():
    before = plan([step("rocking", "S1", "regulate"), step("drumming", "S2", "regulate"), step("yoga", "S3", "regulate")])
    after = copy.deepcopy(before)
    after["steps"][0], after["steps"][1] = after["steps"][1], after["steps"][0]
    swaps = [c for c in plan_diff(before, after).fields if c.path == "steps"]
    assert [(c.kind, c.before, c.after) for c in swaps] == [("swapped", ("rocking", "drumming"), ("S2", "S1"))]


def test_a_longer_reordering_is_listed_in_full():
    before = plan([step(a, f"S{n}", "regulate") for n, a in enumerate(("a", "b", "c"), 1)])
    after = copy.deepcopy(before)
    after["steps"].append(after["steps"].pop(0))
    [change] = [c for c in plan_diff(before, after).fields if c.path == "steps"]
    assert (change.kind, change.before, change.after) == ("reordered", ["a", "b", "c"], ["b", "c", "a"])


def test_a_step_that_became_deferred_says_where_it_went():
    before = plan([step("rocking", "S1", "regulate"), step("drumming", "S2", "regulate")])
    after = plan([step("rocking", "S1", "regulate")], deferred=[{"activity": "drumming", "name": "Drumming",
                                                                  "rules": ["DEFER-1"], "because": "noise"}])
    diff = plan_diff(before, after)
    assert [s["activity"] for s in diff.steps.removed] == ["drumming"]
    assert diff.now("drumming")[0] == "deferred" and diff.was("drumming")[0] == "step"
    assert [d["activity"] for d in diff.deferred.added] == ["drumming"]
    assert diff.now("swimming") == ("not proposed", None)


def test_a_gate_still_closed_for_another_reason_is_kept_not_opened_and_closed():
    gate = {"stage": "reason", "by": "brainstem", "band": "severe", "until": "mild", "rule": "GATE-1"}
    before = plan(gates=[gate, {**gate, "by": "arousal", "band": "alarm"}])
    after = plan(gates=[{**gate, "band": "moderate"}, {**gate, "stage": "relate"}])
    diff = plan_diff(before, after)
    assert [(a["band"], b["band"]) for a, b in diff.gates.kept] == [("severe", "moderate")]
    assert [g["by"] for g in diff.gates.removed] == ["arousal"]          # opened
    assert [g["stage"] for g in diff.gates.added] == ["relate"]          # closed


def test_regions_and_functions_are_matched_by_id_whatever_their_order():
    before = plan()
    after = plan(regions=list(reversed(copy.deepcopy(before["regions"]))))
    after["regions"][1]["functions"][0]["score"] = 5
    diff = plan_diff(before, after)
    assert not diff.regions.changed("band", "mean") and not diff.regions.added
    [(was, now)] = diff.functions.changed("score")
    assert (was["score"], now["score"], now["region"]) == (3, 5, "brainstem")


def test_field_by_field_names_the_path_of_a_changed_value():
    before = plan([step("rocking", "S1", "regulate", dose={"minutes": 10})])
    after = plan([step("rocking", "S1", "regulate", dose={"minutes": 15})], extra_key=1)
    changes = {(c.path, c.kind): (c.before, c.after) for c in plan_diff(before, after).fields}
    assert changes == {("steps.rocking.dose.minutes", "changed"): (10, 15), ("extra_key", "added"): (None, 1)}


def test_long_sections_are_counted_not_listed():
    before, after = plan(trace=[1, 2, 3]), plan(trace=[1, 2])
    [change] = plan_diff(before, after).fields
    assert (change.path, change.kind, change.before, change.after) == ("trace", "summarised", 3, 2)


def test_same_content_in_another_type_is_not_the_same_plan():
    before = plan()
    assert plan_diff(before, copy.deepcopy(before)).same
    assert plan_diff(before, dict(reversed(list(before.items())))).same, "key order is formatting"
    retyped = copy.deepcopy(before)
    retyped["review"]["weeks"] = 8.0
    assert not plan_diff(before, retyped).same and not plan_diff(before, retyped).fields


def test_stamps_say_which_changed_and_survive_a_damaged_one():
    before = plan(presentation={"digest": "sha256:p"})
    same = plan(presentation={"digest": "sha256:p"})
    assert [plan_diff(before, same).stamp(name) for name in ("input", "kb", "presentation")] == [None, None, None]
    after = plan(kb={"name": "kb", "version": "2", "digest": "sha256:b"}, presentation={"digest": "sha256:q"})
    diff = plan_diff(before, after)
    assert diff.stamp("input") is None
    assert diff.stamp("kb") == (before["kb"], after["kb"])
    assert diff.stamp("presentation") == ({"digest": "sha256:p"}, {"digest": "sha256:q"})
    assert plan_diff(plan(input_digest="sha256:j"), before).stamp("input") == ({"digest": "sha256:j"},
                                                                              {"digest": "sha256:i"})
    assert plan_diff(plan(kb="damaged"), before).stamp("kb") == ({}, before["kb"])
    assert plan_diff(plan(), before).stamp("presentation") == ({}, {"digest": "sha256:p"}), "made before the stamp"


def test_a_step_written_twice_is_read_as_json_reads_a_key_twice():
    before = plan([step("rocking", "S1", "regulate")])
    after = plan([step("rocking", "S1", "regulate"), step("rocking", "S2", "relate")])
    diff = plan_diff(before, after)
    assert [b["id"] for _, b in diff.steps.kept] == ["S2"], "the last entry wins"


def test_plans_made_by_the_engine_compare_like_their_documents():
    """A Plan object and its JSON document give the same step changes (progress passes plans,
    audit documents)."""
    import json

    from planner.api import plan_for
    from planner.outputs.render import render_plan

    a, b = plan_for("young-child-brainstem"), plan_for("young-child-brainstem-followup")
    objects = plan_diff(a, b)
    documents = plan_diff(json.loads(render_plan(a, "json")), json.loads(render_plan(b, "json")))
    assert objects.steps.added == documents.steps.added and objects.steps.removed == documents.steps.removed
    assert objects.steps.added or objects.steps.removed or objects.steps.changed("phase"), "the plan changed"
    assert [g["stage"] for g in objects.gates.removed], "the followup opened a gate"
