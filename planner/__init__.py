"""seqplan: an independent, NMT-informed expert system for sequenced treatment plans.

The public library API lives here; every CLI command is a thin wrapper over it.
Imports are lazy so that ``seqplan --help`` does not load the rule engine.
"""
from planner.version import __version__

__all__ = ["__version__", "load_assessment", "load_knowledge_base", "make_plan", "render_plan"]


def load_assessment(path):
    """Read and validate an assessment file (YAML or JSON); raise InputError if bad."""
    from planner.intake.assessment import load_assessment as _load
    return _load(path)


def load_knowledge_base(directory=None):
    """Load (and cache) a knowledge base; the bundled one when ``directory`` is None."""
    from planner.kb.knowledge import load_knowledge_base as _load
    return _load(directory)


def make_plan(assessment, kb=None):
    """Plan one validated assessment; returns a ``planner.plans.plan.Plan``."""
    from planner.plans.planning import make_plan as _make
    return _make(assessment, kb)


def render_plan(plan, fmt="md", **options):
    """Render a plan as Markdown (``md``, with ``audience=therapist|trainer|auditor``) or JSON."""
    from planner.outputs.render import render_plan as _render
    return _render(plan, fmt, **options)
