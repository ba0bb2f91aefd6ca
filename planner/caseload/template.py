"""Blank assessments to fill in (``seqplan template``): every function id with its rating
guidance from the knowledge base, as YAML comments or CSV comment rows. Wording lives in
templates/caseload-template.*.j2."""
from __future__ import annotations

import csv
import io

from planner.intake.assessment import FORMAT, _schema
from planner.caseload.csvinput import columns

FORMATS = ("yaml", "csv")


def _csv_row(cells):
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def blank_assessment(kb, fmt="yaml"):
    """The text of a blank assessment in ``fmt`` (yaml or csv) for knowledge base ``kb``."""
    from planner.outputs.render import template_environment

    env = template_environment(autoescape=False)
    env.filters["csv_row"] = _csv_row
    env.filters["label"] = kb.label
    functions = [dict(f, rating={k: f["rating"][k] for k in sorted(f["rating"], key=int)})
                 for f in kb.functions.values()]
    return env.get_template(f"caseload-template.{fmt}.j2").render(
        format=FORMAT, regions=list(kb.regions.values()), functions=functions,
        periods=list(kb.periods.values()), header=columns(kb),
        arousal_states=_schema()["properties"]["current"]["properties"]["arousal"]["enum"])
