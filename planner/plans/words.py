"""The words of explanations (templates/explain.yaml) filled in for one plan: shared by
``seqplan why`` (planner.plans.explanation) and ``seqplan why-not`` (planner.plans.why)."""
from __future__ import annotations

from planner.templating import join_words

HIDDEN = ("id", "kind", "sid")

_WORDS = {}         # "table" -> templates/explain.yaml
_COMPILED = {}      # template source -> compiled template


def _table():
    """templates/explain.yaml, read once."""
    if "table" not in _WORDS:
        import yaml

        from planner.resources import data_dir

        _WORDS["table"] = yaml.safe_load((data_dir("templates") / "explain.yaml").read_text("utf-8"))
    return _WORDS["table"]


def say(value):
    """Any value in words: ids without underscores, yes/no, numbers as written, lists joined."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return join_words([say(v) for v in value], "or")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


def fields(fact):
    """A fact's own fields (not its id and kind), with the optional ones a template may test."""
    return {"mean": None, "developmental_age": None, **{k: v for k, v in fact.items() if k not in HIDDEN}}


class Words:
    """explain.yaml's templates filled in for one plan: its catalogue labels and the child's name."""

    def __init__(self, plan):
        self.kb, self.table = plan.knowledge, _table()
        self.values = {"label": lambda ident: say(self.kb.label(ident)), "say": say,
                       "child": (plan.client or {}).get("name") or self.table["child"]}

    def fill(self, source, **values):
        """``source`` (a template of explain.yaml) rendered over ``values``, on one line."""
        if source not in _COMPILED:
            from planner import templating

            _COMPILED[source] = templating.text().from_string(source)
        return " ".join(_COMPILED[source].render(**self.values, **values).split())

    def fact(self, fact):
        """A fact as a clinician would say it ("Brainstem: severe (mean 3.75, ...)")."""
        source = self.table["facts"].get(fact["kind"])
        if source is None:   # a kind without words of its own: its kind and fields in words
            return say(fact["kind"]).capitalize() + ": " + ", ".join(
                f"{say(k)} {say(v)}" for k, v in fact.items() if k not in HIDDEN)
        return self.fill(source, **fields(fact))

    def reasons(self, answer, facts):
        """The clauses of ``answer``'s sentence: the facts of its reason kinds, in order, once each."""
        kinds = self.table["answers"][answer].get("reasons", ())
        out = []
        for fact in facts:
            if fact["kind"] in kinds:
                text = self.fill(self.table["reasons"][fact["kind"]], **fields(fact))
                if text not in out:
                    out.append(text)
        return out

    def sentence(self, answer, **values):
        """The one-sentence answer of kind ``answer``."""
        return self.fill(self.table["answers"][answer]["sentence"], **values)


def selection(plan, words):
    """The values of the sentences that say why an activity meeting all six Rs is not a step:
    how many steps each phase takes (fewer when the plan steps down) and parameter step_order
    in words."""
    params = plan.knowledge.parameter_values
    parameter = "step_down_steps_per_phase" if plan.step_down else "steps_per_phase"
    return {"per_phase": params[parameter], "per_phase_parameter": parameter,
            "order": [words.table["step_order"][criterion] for criterion in params["step_order"]]}
