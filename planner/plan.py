"""The plan model: what the templates render and what ``--format json`` publishes."""
from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass
class Plan:
    """A sequenced, justified plan for one assessment (format ``seqplan/plan-1``)."""

    format: str
    seqplan_version: str
    input_digest: str
    kb: dict
    client: dict
    assessed_on: str
    assessor: str | None
    state: dict
    regions: list
    start: dict | None
    steps: list
    alternatives: list
    deferred: list
    excluded: list
    strengths: list
    cautions: list
    risks: list
    regulate_duration: dict | None
    review: dict | None
    notes: list
    context_notes: str | None
    trace: list
    _kb: object = field(default=None, repr=False, compare=False)

    def to_dict(self):
        """The JSON contract, in a fixed key order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    @property
    def knowledge(self):
        """The knowledge base the plan was made with (for labels and citations)."""
        return self._kb
