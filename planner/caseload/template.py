"""Blank assessments to fill in (``seqplan template``): every function id with its rating
guidance from the knowledge base, as YAML comments or CSV comment rows. Wording lives in
templates/caseload-template.*.j2."""
from __future__ import annotations

from planner.intake.assessment import FORMAT, _schema
from planner.intake.csvinput import columns

FORMATS = ("yaml", "csv")


def blank_assessment(kb, fmt="yaml"):
    """The text of a blank assessment in ``fmt`` (yaml or csv) for knowledge base ``kb``."""
    from planner import templating

    functions = [dict(f, rating={k: f["rating"][k] for k in sorted(f["rating"], key=int)})
                 for f in kb.functions.values()]
    return templating.text().get_template(f"caseload-template.{fmt}.j2").render(
        label=kb.label, format=FORMAT, regions=list(kb.regions.values()), functions=functions,
        periods=list(kb.periods.values()), header=columns(kb),
        arousal_states=_schema()["properties"]["current"]["properties"]["arousal"]["enum"])
