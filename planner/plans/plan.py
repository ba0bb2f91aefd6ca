"""The plan model: what the templates render and what ``--format json`` publishes."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property


@dataclass
class Plan:
    """A sequenced, justified plan for one assessment (format ``seqplan/plan-1``)."""

    format: str
    seqplan_version: str
    input_digest: str
    kb: dict
    presentation: dict | None = field(default=None, kw_only=True)   # {digest} of templates/ (planner.presentation)
    client: dict
    assessed_on: str
    assessor: str | None
    state: dict
    regions: list
    start: dict | None       # phase and region where the plan starts; blocked when S1 is not there
    phases_needed: list       # phases some need calls for, bottom-up
    steps: list
    daily_time: dict          # the steps' minutes a day [low, high], the limit, and steps left out for it
    alternatives: list
    deferred: list
    excluded: list
    referrals: list           # activities that need a professional the team lacks
    strengths: list
    delivery: list            # how the child's strengths shape the delivery of every step
    cautions: list
    risks: list
    goals: list               # goals of their own beside the steps (e.g. more safe adults, more often)
    in_the_moment: list       # what the adults do when the child is dysregulated
    relational_strength: dict | None
    regulate_duration: dict | None
    review: dict | None
    objectives: list          # measurable objectives by the review: target, due date, what is recorded and by whom
    lead: dict                # the named lead professional (role None: to name)
    attainment: list          # the previous plan's objectives scored -2..+2 at this assessment (when it has one)
    notes: list
    context_notes: str | None
    # brief v3
    referrals_to_consider: list   # services beyond the model, each with its reasons; a referral made is recognised
    history: list                 # every rated period, both measures
    own_goal: dict | None         # the young person's or family's goal, in their words
    step_down: dict | None        # why the plan steps down, when it does
    since_previous: list          # what changed since the previous assessment: regions, functions that fell
    language: dict | None         # home language and interpreter
    facts: dict               # fact id -> fact: input facts, then derived ones in order
    redacted: list = field(default_factory=list)   # fields withheld by --redact; input_digest is then of the redacted input
    # printed from the case record only: the clinician's decisions and the signature (planner.record.decisions)
    decisions: list = field(default_factory=list)
    signed: dict | None = None
    # made on the trainer's page after a what-if: the edits [{field, from, to}]; every format then says so
    hypothetical: list = field(default_factory=list)
    _evaluation: object = field(default=None, repr=False, compare=False)   # planner.reasoning.engine.Evaluation
    _kb: object = field(default=None, repr=False, compare=False)

    @cached_property
    def trace(self):
        """Every rule firing in order: rule id, matched {pattern: fact id}, concluded [fact ids].
        Built on first use: only audit output needs it."""
        return [firing.to_dict() for firing in self._evaluation.trace]

    def to_dict(self):
        """The JSON contract, in a fixed key order (the trace, then the facts it names)."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        data["trace"] = self.trace
        for optional in ("presentation", "redacted", "decisions", "signed"):
            if not data[optional]:
                del data[optional]
        data["facts"] = data.pop("facts")
        edits = data.pop("hypothetical")
        # first after the format, where a reader (or a program) meets it before the plan
        return {"format": data.pop("format"), "hypothetical": edits, **data} if edits else data

    @classmethod
    def stored(cls, data, kb):
        """A plan as stored (its JSON, parsed), to print again with knowledge base ``kb``'s
        labels: the snapshot's content, trace included, is printed as it was made."""
        names = {f.name for f in fields(cls) if not f.name.startswith("_")}
        plan = cls(**{k: v for k, v in data.items() if k in names}, _kb=kb)
        plan.__dict__["trace"] = data.get("trace", [])
        return plan

    @property
    def knowledge(self):
        """The knowledge base the plan was made with (for labels and citations)."""
        return self._kb

    @property
    def evaluation(self):
        """The engine's evaluation behind the plan (``planner.reasoning.engine.Evaluation``: every
        fact, firing and producer), for explanations; None for a plan read back from storage."""
        return self._evaluation
