"""Shared helpers for the seqplan test suite.

``make_assessment`` builds a valid assessment dict (format seqplan/assessment-1) from
per-region scores; ``write_assessment`` writes one as YAML or JSON. The function ids are
copied from the function catalogue table of docs/spec (assessment-format.md), not read
from the knowledge base, so a catalogue that drifts from the contract is noticed.
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = ROOT / "examples"
KB_DIR = ROOT / "knowledge_base"
EXAMPLE_NAMES = ("middle-limbic", "teen-cortical", "young-child-brainstem", "young-child-brainstem-followup")

# The contract table of the assessment format: region (bottom-up) -> function ids.
REGION_FUNCTIONS = {
    "brainstem": ["cardiovascular", "thermoregulation", "autonomic_reactivity", "tactile_integration",
                  "auditory_integration", "vestibular_integration", "visual_integration", "interoception"],
    "diencephalon": ["arousal_regulation", "dissociation", "sleep", "appetite_satiety", "fine_motor",
                     "gross_motor", "neuromuscular_tone", "self_soothing"],
    "limbic": ["attachment", "reward", "affiliation", "emotional_reactivity", "attunement", "empathy",
               "peer_play", "relational_trust"],
    "cortex": ["concrete_cognition", "abstract_cognition", "reflective_cognition", "impulse_control",
               "receptive_language", "expressive_language", "speech_articulation", "planning"],
}
REGIONS = tuple(REGION_FUNCTIONS)
ALL_FUNCTIONS = [fid for ids in REGION_FUNCTIONS.values() for fid in ids]
FUNCTION_REGION = {fid: region for region, ids in REGION_FUNCTIONS.items() for fid in ids}

# Vocabularies of the spec.
AROUSAL_STATES = ("calm", "alert", "alarm", "fear", "terror")
HIGH_AROUSAL = ("alarm", "fear", "terror")
PHASES = ("regulate", "relate", "reason", "enrich")
SIX_RS = ("relational", "relevant", "repetitive", "rewarding", "rhythmic", "respectful")
# period -> age (years) at which it starts (spec: perinatal 0-2 months, infancy 2-12 months,
# early childhood 13 months-4 years, childhood 4-11 years, adolescence 12-18 years)
PERIOD_STARTS = {"perinatal": 0.0, "infancy": 2 / 12, "early_childhood": 13 / 12, "childhood": 4.0,
                 "adolescence": 12.0}
SETTINGS = ("home", "school", "clinic", "community")


def pytest_configure(config):
    """Hypothesis keeps caches in .hypothesis/ of the working directory, the checkout (its
    pytest plugin parses every local module while collecting, even with database=None):
    give it a temporary folder of this run instead, removed at the end."""
    try:
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:
        return
    import tempfile

    config._seqplan_hypothesis_dir = tempfile.mkdtemp(prefix="seqplan-hypothesis-")
    set_hypothesis_home_dir(config._seqplan_hypothesis_dir)


def pytest_collection_modifyitems(items):
    """Modules marked heavy first (a stable sort keeps every other order): with parallel
    workers (-n auto, whole files each) the longest files start at once, not last."""
    items.sort(key=lambda item: item.get_closest_marker("heavy") is None)


def pytest_unconfigure(config):
    if getattr(config, "_seqplan_hypothesis_dir", None):
        shutil.rmtree(config._seqplan_hypothesis_dir, ignore_errors=True)


def make_assessment(brainstem=12, diencephalon=12, limbic=12, cortex=12, *, age=9.5,
                    client_id="T-001", name=None, assessed_on="2026-11-02", **overrides):
    """A valid assessment dict: every function of a region gets that region's score.

    A region score of ``None`` leaves that region's functions unrated. ``overrides``
    are merged in at the top level; a dict value is merged one level deep (so
    ``functioning={"sleep": 3}`` changes one score and keeps the others), and a value
    of ``None`` removes the key.
    """
    scores = {"brainstem": brainstem, "diencephalon": diencephalon, "limbic": limbic, "cortex": cortex}
    data = {
        "format": "seqplan/assessment-1",
        "client": {"id": client_id, "age_years": age},
        "assessed_on": assessed_on,
        "functioning": {fid: scores[region] for region, ids in REGION_FUNCTIONS.items()
                        for fid in ids if scores[region] is not None},
    }
    if name is not None:
        data["client"]["name"] = name
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        elif isinstance(value, dict) and isinstance(data.get(key), dict):
            merged = dict(data[key])
            for k, v in value.items():
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = v
            data[key] = merged
        else:
            data[key] = copy.deepcopy(value)
    return data


def write_assessment(directory, data, name="assessment", fmt="yaml"):
    """Write ``data`` (a dict, or raw text) to ``directory/name.fmt`` and return the path."""
    path = Path(directory) / f"{name}.{fmt}"
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run_cli(*args, cwd=None, env=None):
    """Run the CLI in a fresh interpreter (``python -m planner.cli``)."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "planner.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=full_env, timeout=120)


def cli_in_process(*args, env=None):
    """``seqplan *args`` in this process (click's test runner), answering as ``run_cli`` does
    (returncode, stdout, stderr) without starting an interpreter and loading the knowledge
    base again: for tests of what a command says. Tests of the process itself (exit codes
    under a real interpreter, signals, caches, devices, the working directory) use run_cli."""
    from click.testing import CliRunner

    from planner.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def assessment_file(tmp_path):
    """Factory: ``assessment_file(data, name=..., fmt=...)`` -> path of the written file."""
    def write(data=None, name="assessment", fmt="yaml"):
        return write_assessment(tmp_path, make_assessment() if data is None else data, name, fmt)
    return write


# The case record's tests run against SQLite and, when SEQPLAN_TEST_PG names a PostgreSQL
# server (`.ci/postgres start DIR` prints one; `.ci/run` sets it), against PostgreSQL too.
PG = os.environ.get("SEQPLAN_TEST_PG")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG, reason="no PostgreSQL: set SEQPLAN_TEST_PG (.ci/run starts one with .ci/postgres)"))]


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    """A new, empty case record: a file, or a database of its own on the test server."""
    import uuid

    from sqlalchemy import create_engine, text

    from planner.record.db import database_url

    if request.param == "sqlite":
        yield str(tmp_path / "record.db")
        return
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(database_url(PG), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield database_url(PG).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def kb():
    from planner import load_knowledge_base
    return load_knowledge_base()


@pytest.fixture
def kb_copy(tmp_path):
    """A writable copy of the bundled knowledge base, to break on purpose."""
    from planner.resources import data_dir

    target = tmp_path / "kb"
    shutil.copytree(data_dir("knowledge_base"), target)
    return target
