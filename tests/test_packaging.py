"""The package as installed: CI (.ci/run) installs the built wheel, not the checkout, and
runs the suite against it, so a module or data file the wheel leaves out fails here
instead of on a user's machine (the hand-kept package list left planner/cds out, and the package data
planner/web/templates/hypothetical.yaml).

Two settings make the tests import the installed `planner` although they run from the
checkout, whose planner/ folder would otherwise come first on sys.path:
- PYTHONSAFEPATH=1 (set by .ci/run): `python -m pytest`, and every `python -m planner.cli`
  or `python -c` a test starts, puts no working directory on sys.path;
- pytest's --import-mode=importlib (pyproject.toml): pytest puts no test folder's parent
  on sys.path either; `tests` is still importable as a package for the helpers the tests
  share (`from tests.conftest import ...`).
.ci/run sets SEQPLAN_TEST_INSTALLED=1, and these checks then must hold; in a development
checkout (an editable install) they are skipped.
"""
from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import planner
from tests.conftest import ROOT

INSTALLED = os.environ.get("SEQPLAN_TEST_INSTALLED") == "1"
needs_install = pytest.mark.skipif(not INSTALLED, reason="SEQPLAN_TEST_INSTALLED=1 is set by .ci/run, which "
                                                         "tests the installed wheel; this is a checkout")
SITE = Path(sysconfig.get_paths()["purelib"]).resolve()
# The checkout's folders and where they are in the installed package.
SHIPPED = {"planner": "", "knowledge_base": "knowledge_base", "templates": "templates", "examples": "examples",
           "vignettes": "vignettes"}


@needs_install
def test_the_tests_import_the_installed_package():
    installed = Path(planner.__file__).resolve()
    assert installed.is_relative_to(SITE), f"planner imported from {installed}, not from {SITE}"
    assert not installed.is_relative_to((ROOT / "planner").resolve()), f"planner imported from the checkout: {installed}"
    assert importlib.metadata.version("seqplan") == planner.__version__


@needs_install
def test_a_command_the_tests_start_imports_the_installed_package():
    proc = subprocess.run([sys.executable, "-c", "import planner; print(planner.__file__)"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).resolve().is_relative_to(SITE), proc.stdout


@needs_install
def test_the_wheel_ships_every_module_and_data_file_of_the_checkout():
    package = Path(planner.__file__).resolve().parent
    missing = []
    for folder, inside in SHIPPED.items():
        for path in sorted((ROOT / folder).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(ROOT / folder)
            if not (package / inside / relative).is_file():
                missing.append(f"{folder}/{relative}")
    assert not missing, f"the installed package lacks {missing}"
