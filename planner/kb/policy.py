"""The step-selection policy's vocabulary: the criteria parameter step_order may list.

The policy itself (which criteria, in which order, how many steps a phase takes, the day's
minutes) is knowledge, in parameters.yaml; this module only knows what each criterion means,
so that the planner and `kb check` read the parameter the same way.
"""
from __future__ import annotations

from planner.errors import KnowledgeBaseError


def unknown_criteria(names):
    """The names in a step_order value that are not criteria, in its order."""
    return [name for name in names if name not in STEP_ORDER]


# The criteria parameter step_order may list, in the order it lists them: each gives an
# activity's place by one criterion (smaller first), from its earliest-phase step facts.
STEP_ORDER = {
    "starting_phase": lambda c: c["phase"] != c["start_phase"],
    "phase": lambda c: c["phase_order"],
    "region": lambda c: c["region"],
    "lead": lambda c: not c["leads"],
    "matched_interest": lambda c: c["to_try"],
    "catalogue_rank": lambda c: c["rank"],
}


def step_order(kb):
    """The sort key of parameter step_order: criterion values -> a tuple, in its order."""
    names = kb.parameter_values["step_order"]
    unknown = unknown_criteria(names)
    if unknown:
        raise KnowledgeBaseError(f"parameters.yaml step_order: unknown criterion '{unknown[0]}' "
                                 f"(use {', '.join(STEP_ORDER)})")
    criteria = [STEP_ORDER[name] for name in names]
    return lambda values: tuple(criterion(values) for criterion in criteria)
