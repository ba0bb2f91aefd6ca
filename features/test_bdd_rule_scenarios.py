"""Collects the scenarios: one .feature file per rule file of knowledge_base/rules/, and
explanation.feature for why, why-not, trace, audit and diff.

Step definitions live in features/conftest.py. Paths are relative to
``bdd_features_base_dir`` (features/, set in pyproject.toml).
"""
from pytest_bdd import scenarios

scenarios(
    "summarise.feature",
    "focus.feature",
    "propose.feature",
    "judge.feature",
    "verdict.feature",
    "select.feature",
    "dose.feature",
    "safety.feature",
    "age.feature",
    "course.feature",
    "referrals.feature",
    "goals.feature",
    "catalogue.feature",
    "explanation.feature",
)
