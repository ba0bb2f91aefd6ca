"""The same assessment always gives the same plan: across renders, file formats, key
orders, processes and hash seeds, and whatever else the process planned before."""
from __future__ import annotations

import json
import random

import pytest

from tests.conftest import EXAMPLES_DIR, REGION_FUNCTIONS, make_assessment, run_cli, write_assessment


def _plan(data, kb, source="child.yaml"):
    from planner.intake.assessment import from_data
    from planner.plans.planning import make_plan

    return make_plan(from_data(data, source=source, kb=kb), kb)


def _json(data, kb):
    from planner.outputs.render import render_plan

    return render_plan(_plan(data, kb), "json")


RICH = make_assessment(
    brainstem=4, diencephalon=6, limbic=5, cortex=7, age=7.5, name="Robin",
    functioning={"sleep": 3, "dissociation": 2, "attachment": 9, "planning": 11, "fine_motor": 12},
    history={"perinatal": {"adversity": 3, "relational_poverty": 2},
             "infancy": {"adversity": 2, "relational_poverty": 3},
             "early_childhood": {"adversity": 1, "relational_poverty": 1},
             "childhood": {"adversity": 0, "relational_poverty": 1}},
    current={"relational_health": 4, "arousal": "alarm"},
    context={"interests": ["music", "dogs", "drawing", "swimming", "lego"], "avoid": ["hugs", "loud noise"],
             "team": ["foster carer", "teacher", "therapist"], "settings": ["home", "school"],
             "notes": "settled with current carers"},
)


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_same_input_renders_byte_identical(kb, fmt):
    from planner.outputs.render import render_plan

    first_plan = _plan(RICH, kb)
    first = render_plan(first_plan, fmt)
    again = render_plan(first_plan, fmt)
    second = render_plan(_plan(RICH, kb), fmt)
    assert first == again, "rendering the same plan twice differs"
    assert first == second, "planning the same assessment twice differs"


def test_yaml_and_json_files_give_the_same_plan(tmp_path, kb):
    from planner.intake.assessment import load_assessment
    from planner.plans.planning import make_plan
    from planner.outputs.render import render_plan

    yaml_text = "\n".join([
        "format: seqplan/assessment-1",
        "client: {id: C-7, name: Robin, age_years: 7.5}",
        "assessed_on: 2026-11-02",            # a YAML date; JSON can only say "2026-11-02"
        "functioning:",
        *[f"  {fid}: {score}" for fid, score in RICH["functioning"].items()],
        "history:",
        *[f"  {p}: {{adversity: {r['adversity']}, relational_poverty: {r['relational_poverty']}}}"
          for p, r in RICH["history"].items()],
        "current: {relational_health: 4, arousal: alarm}",
        "context:",
        "  interests: [music, dogs, drawing, swimming, lego]",
        "  avoid: [hugs, loud noise]",
        "  team: [foster carer, teacher, therapist]",
        "  settings: [home, school]",
        "  notes: settled with current carers",
    ]) + "\n"
    yaml_path = write_assessment(tmp_path, yaml_text, "child", "yaml")
    data = json.loads(json.dumps(RICH))
    data["client"]["id"] = "C-7"
    json_path = write_assessment(tmp_path, data, "child", "json")

    from_yaml = load_assessment(yaml_path, kb)
    from_json = load_assessment(json_path, kb)
    assert from_yaml.digest == from_json.digest
    plan_yaml, plan_json = make_plan(from_yaml, kb), make_plan(from_json, kb)
    assert plan_yaml.input_digest == plan_json.input_digest
    assert render_plan(plan_yaml, "json") == render_plan(plan_json, "json")
    assert render_plan(plan_yaml, "md") == render_plan(plan_json, "md")


def test_the_digest_changes_when_a_score_changes(kb):
    changed = json.loads(json.dumps(RICH))
    changed["functioning"]["sleep"] = 4
    assert _plan(RICH, kb).input_digest != _plan(changed, kb).input_digest


def _shuffled_keys(data, rng):
    out = {}
    keys = list(data)
    rng.shuffle(keys)
    for key in keys:
        value = data[key]
        out[key] = _shuffled_keys(value, rng) if isinstance(value, dict) else value
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_key_order_never_changes_what_is_planned(kb, seed):
    """Reordering the mappings (functioning, history, client, ...) changes no value of the plan."""
    shuffled = _shuffled_keys(RICH, random.Random(seed))
    assert list(shuffled["functioning"]) != list(RICH["functioning"])
    assert json.loads(_json(shuffled, kb)) == json.loads(_json(RICH, kb))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("fmt", ["json", "md"])
def test_key_order_never_changes_the_plan_bytes(kb, seed, fmt):
    """Both files have the same input_digest, so an auditor expects the same plan file, byte for byte."""
    from planner.outputs.render import render_plan

    shuffled = _shuffled_keys(RICH, random.Random(seed))
    a, b = _plan(shuffled, kb), _plan(RICH, kb)
    assert a.input_digest == b.input_digest
    assert render_plan(a, fmt) == render_plan(b, fmt)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_list_order_in_context_never_changes_the_plan(kb, seed):
    """interests/avoid/team/settings are sets of words: their order changes no recommendation."""
    rng = random.Random(seed)
    shuffled = json.loads(json.dumps(RICH))
    for key in ("interests", "avoid", "team", "settings"):
        words = shuffled["context"][key]
        rng.shuffle(words)
        if words == RICH["context"][key]:
            words.reverse()
    original = json.loads(_json(RICH, kb))
    reordered = json.loads(_json(shuffled, kb))
    # The digest identifies the file as written, so it may differ; everything planned must not.
    original.pop("input_digest")
    reordered.pop("input_digest")
    assert reordered == original


def _thirty_assessments():
    rng = random.Random(7)
    out = []
    for i in range(30):
        scores = {region: rng.randint(0, 12) for region in REGION_FUNCTIONS}
        data = make_assessment(**scores, age=rng.choice([3, 6.5, 9, 12.5, 16, 21]), client_id=f"D-{i:02d}")
        for fid in rng.sample(list(data["functioning"]), 6):
            data["functioning"][fid] = rng.randint(0, 12)
        data["current"] = {"arousal": rng.choice(["calm", "alert", "alarm", "fear", "terror"]),
                           "relational_health": rng.randint(0, 12)}
        data["context"] = {"interests": rng.sample(["music", "animals", "art", "stories", "movement"], 2),
                           "avoid": rng.sample(["touch", "water", "group", "verbal"], rng.randint(0, 2)),
                           "team": rng.sample(["caregiver", "teacher", "therapist", "coach", "mentor"], 2)}
        if rng.random() < 0.5:
            data["history"] = {"perinatal": {"adversity": rng.randint(0, 3), "relational_poverty": rng.randint(0, 3)}}
        out.append(data)
    return out


def test_plans_do_not_leak_between_assessments(tmp_path, kb):
    """Planning many assessments in one process gives what each gives on its own."""
    cases = _thirty_assessments()
    forward = [_json(data, kb) for data in cases]
    assert len(set(forward)) == len(cases), "different assessments gave identical plans"
    backward = [_json(data, kb) for data in reversed(cases)][::-1]
    for i, (a, b) in enumerate(zip(forward, backward)):
        assert a == b, f"assessment {i} planned differently after other assessments"
    # A fresh process (with a different hash seed) gives the same bytes.
    for i in (0, 13, 29):
        path = write_assessment(tmp_path, cases[i], f"case{i}", "json")
        proc = run_cli("plan", path, "--format", "json", env={"PYTHONHASHSEED": str(100 + i)})
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == forward[i], f"assessment {i}: the plan differs in a fresh process"


@pytest.mark.parametrize("example", ["young-child-brainstem", "middle-limbic"])
def test_hash_seed_does_not_change_the_cli_output(example):
    outputs = set()
    for seed in ("0", "4242"):
        proc = run_cli("plan", "--example", example, env={"PYTHONHASHSEED": seed})
        assert proc.returncode == 0, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_more_plans_than_the_engine_has_sessions(kb):
    """durable-rules allows 1024 live sessions per ruleset: each plan must free its own."""
    from planner.intake.assessment import from_data
    from planner.plans.planning import make_plan
    from planner.outputs.render import render_plan

    reference = render_plan(_plan(RICH, kb), "json")
    # A sparse assessment plans fast (few firings) but still opens a session.
    sparse = [from_data(make_assessment(None, None, None, None, client_id=f"S-{i}",
                                        functioning={"sleep": i % 13}), kb=kb) for i in range(13)]
    # No timing here (a busy machine must not fail CI): benchmarks/many_plans.py measures speed.
    for n in range(1100):
        plan = make_plan(sparse[n % 13], kb)
        assert plan.review is not None
    from planner.reasoning.engine import compiled

    assert compiled(kb)._session is None, "a plan left its engine session open"
    assert render_plan(_plan(RICH, kb), "json") == reference


def test_bundled_example_plans_are_stable_across_cwd(tmp_path):
    a = run_cli("plan", EXAMPLES_DIR / "teen-cortical.yaml", "--format", "json", cwd=tmp_path)
    b = run_cli("plan", "--example", "teen-cortical", "--format", "json")
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert a.stdout == b.stdout


THREADED_COLD_START = r"""
import sys, threading
from planner import api

names = ["young-child-brainstem", "middle-limbic", "teen-cortical", "young-child-brainstem"] * 2
barrier = threading.Barrier(len(names))
results, errors = {}, []

def plan(i, name):
    barrier.wait()                 # every thread reaches the first (cold) plan together
    try:
        results[i] = api.plan_file(name, fmt="json")
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")

threads = [threading.Thread(target=plan, args=(i, n)) for i, n in enumerate(names)]
for t in threads: t.start()
for t in threads: t.join()
if errors:
    sys.exit("\n".join(errors))
for i, name in enumerate(names):   # each thread's plan is the one a lone call makes
    if results[i] != api.plan_file(name, fmt="json"):
        sys.exit(f"thread {i} ({name}) planned differently")
print("ok", len(results))
"""


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_threads_planning_at_first_use_all_get_their_plan(attempt):
    """A server planning on several threads from a cold start: no lost or crashed plan,
    no broken engine for later plans (compile-and-register happens once)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", THREADED_COLD_START], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok 8"


def test_templates_compiled_once_and_kept_render_the_same_bytes(tmp_path):
    """Compiled templates are kept in the private cache between runs (cold starts compile
    none): a plan rendered from them is byte-identical to one compiled from source."""
    from tests.conftest import run_cli

    cache = tmp_path / "cache"
    for fmt in ("md", "html"):
        args = ("plan", "--example", "middle-limbic", "--format", fmt)
        fresh = run_cli(*args, env={"SEQPLAN_CACHE_DIR": ""})
        first = run_cli(*args, env={"SEQPLAN_CACHE_DIR": str(cache)})
        kept = run_cli(*args, env={"SEQPLAN_CACHE_DIR": str(cache)})
        assert fresh.returncode == 0 and fresh.stdout == first.stdout == kept.stdout
    [kept_dir] = cache.glob("templates-*")       # one folder per set of filters
    assert list(kept_dir.glob("__jinja2_*.cache"))
    assert kept_dir.stat().st_mode & 0o077 == 0
