"""The FHIR R4 export (`seqplan plan FILE --format fhir`), validated offline at three levels
(tests/fhir_validation.py: R4B models, the R4 invariants in FHIRPath, required bindings):
every bundled example and vignette, seeded random assessments, and bundles tampered with on
purpose, which the validator must catch. Bundles are made once per module."""
from __future__ import annotations

import copy
import json
import random
from functools import lru_cache

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.intake.examples import bundled_paths
from tests.fhir_validation import validate
from tests.test_plan_invariants import SEED, random_assessment

N_RANDOM = 200          # structure and bindings for each; the invariants for every INVARIANTS_EVERY-th
INVARIANTS_EVERY = 20


@lru_cache(maxsize=None)
def exported(name, redact=False):
    """(plan, bundle text) of a bundled assessment, made once."""
    from planner.api import plan_for
    from planner.outputs.render import render_plan

    plan = plan_for(name, redact=redact)
    return plan, render_plan(plan, "fhir")


def resources(bundle, resource_type):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


@pytest.mark.parametrize("name", list(bundled_paths()))
def test_every_bundled_assessment_exports_valid_r4(name):
    assert validate(json.loads(exported(name)[1])) == []


def test_seeded_random_assessments_export_valid_r4(kb):
    from planner.intake.assessment import from_data
    from planner.outputs.fhir import fhir_bundle
    from planner.plans.planning import make_plan

    rng, errors, checked = random.Random(SEED), [], 0
    for index in range(N_RANDOM):
        data = random_assessment(rng, index)
        full = index % INVARIANTS_EVERY == 0
        problems = validate(fhir_bundle(make_plan(from_data(data, kb=kb), kb)), invariants=full)
        errors.extend(f"{data['client']['id']}: {p}" for p in problems)
        checked += full
    assert checked == N_RANDOM // INVARIANTS_EVERY
    assert errors == [], errors[:5]


def test_a_tampered_bundle_is_caught():
    bundle = json.loads(exported("young-child-brainstem")[1])
    broken = copy.deepcopy(bundle)
    del resources(broken, "RequestGroup")[0]["action"][0]["action"][0]["resource"]
    resources(broken, "CarePlan")[0]["status"] = "pending"
    resources(broken, "Observation")[0]["status"] = "done"
    problems = validate(broken)
    assert any("RequestGroup.action: rqg-1" in p for p in problems), problems
    assert any("CarePlan.status" in p and "request-status" in p for p in problems), problems
    assert any("Observation.status" in p and "observation-status" in p for p in problems), problems
    del resources(broken, "CarePlan")[0]["subject"]
    assert any(p.startswith("structure:") and "subject" in p for p in validate(broken, invariants=False))


def test_the_same_input_gives_byte_identical_bundles():
    from planner.api import plan_file

    first = plan_file("young-child-brainstem", fmt="fhir")
    assert first == plan_file("young-child-brainstem", fmt="fhir") == exported("young-child-brainstem")[1]
    bundle = json.loads(first)
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls) and all(u == "urn:uuid:" + e["resource"]["id"]
                                               for u, e in zip(urls, bundle["entry"]))


def test_the_bundle_says_what_the_plan_says():
    plan, text = exported("young-child-brainstem")
    bundle = json.loads(text)
    care_plan, = resources(bundle, "CarePlan")
    assert (care_plan["status"], care_plan["intent"]) == ("draft", "proposal")
    assert [n["text"] for n in care_plan["note"]] == [c["because"] for c in plan.cautions]
    group, = resources(bundle, "RequestGroup")
    phases = [a["id"] for a in group["action"]]
    assert phases == sorted(phases, key=lambda p: plan.knowledge.phases[p.removeprefix("phase-")]["order"])
    assert all(a["relatedAction"] == [{"actionId": before, "relationship": "after-end"}]
               for before, a in zip(phases, group["action"][1:]))
    actions = {a["id"]: a for g in group["action"] for a in g["action"]}
    for step in plan.steps:
        assert actions[step["id"]]["extension"][0]["valueMarkdown"] == step["because"]
        assert [d["label"] for d in actions[step["id"]]["documentation"]][:len(step["rules"])] == step["rules"]
    deferred = [a for a in actions.values() if "condition" in a]
    assert [a["condition"][0]["expression"]["description"] for a in deferred] == [d["until"] for d in plan.deferred]
    on_hold = [a["detail"] for a in care_plan["activity"] if "detail" in a]
    assert [d["status"] for d in on_hold] == ["on-hold"] * len(plan.deferred)
    excluded = [r for r in resources(bundle, "ServiceRequest") if r.get("doNotPerform")]
    assert [r["code"]["coding"][0]["code"] for r in excluded] == [e["activity"] for e in plan.excluded]
    assert len(resources(bundle, "Goal")) == len(plan.objectives) + len(plan.goals)
    task, = resources(bundle, "Task")
    assert task["description"] == plan.review["because"]
    provenance, = resources(bundle, "Provenance")
    assert [e["what"]["identifier"]["value"] for e in provenance["entity"]] == [
        plan.input_digest, plan.kb["digest"], plan.presentation["digest"]]
    assert {r["reference"] for r in provenance["target"]} >= {"urn:uuid:" + care_plan["id"]}


def test_a_redacted_plan_exports_no_name():
    plan, text = exported("young-child-brainstem", redact=True)
    assert "Robin" not in text and "Example clinic" not in text
    assert "name" not in resources(json.loads(text), "Patient")[0]
    assert validate(json.loads(text), invariants=False) == []


def test_the_plan_command_writes_fhir(tmp_path):
    out = tmp_path / "plan.fhir.json"
    result = CliRunner().invoke(main, ["plan", "--example", "teen-cortical", "--format", "fhir", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text("utf-8") == exported("teen-cortical")[1]
