"""Explanations of a plan: how a conclusion was reached (``why``), why an activity is
not a step (``why-not``), and the firing-by-firing ``trace``.

Works on a made ``Plan``: its firings, the facts they matched and concluded, and the
knowledge base it was made with.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from planner.errors import InputError
from planner.kb.explain import because
from planner.plans.matcher import evaluate_pattern, firing_tests, trace_rule
from planner.plans.words import HIDDEN, Words, selection


def describe(fact):
    """'region_band brainstem, band=severe, ...' for any fact."""
    fields = [f"{k}={v}" for k, v in fact.items() if k not in HIDDEN]
    return f"{fact['kind']} " + ", ".join(fields)


@dataclass
class Node:
    """One derived fact in a how-explanation, with the firing that concluded it."""

    number: int
    fact: dict
    rule: str
    title: str
    because: str
    sources: list
    matched: list = field(default_factory=list)    # (pattern, node number or None, fact)
    tests: list = field(default_factory=list)      # planner.plans.matcher.Test


def _producers(plan):
    """fact id -> the firing that first concluded it."""
    ev = plan.evaluation
    return {fid: ev.trace[index] for fid, index in ev.producers.items()}


def resolve(plan, target):
    """``target`` as a step id or an activity id: a step id or activity id as given, or an
    activity's name as the plan shows it ("Contact with animals"), in any case."""
    kb = plan.knowledge
    if target in kb.activities or any(target == s["id"] for s in plan.steps):
        return target
    folded = " ".join(str(target).split()).casefold()
    for step in plan.steps:
        if folded == step["id"].casefold():
            return step["id"]
    for activity_id, activity in kb.activities.items():
        if folded in (activity_id.casefold(), activity["name"].casefold()):
            return activity_id
    return target


def near_miss(plan, target):
    """' did you mean ...?' with the closest activity name, activity id or step id, or None."""
    import difflib

    kb = plan.knowledge
    names = {a["name"].casefold(): a["name"] for a in kb.activities.values()}
    names.update({i.casefold(): i for i in kb.activities})
    names.update({s["id"].casefold(): s["id"] for s in plan.steps})
    close = difflib.get_close_matches(" ".join(str(target).split()).casefold(), sorted(names), n=1, cutoff=0.6)
    return f"did you mean '{names[close[0]]}'?" if close else None


def targets(plan, target):
    """The conclusions ``target`` (a step id, an objective id, an activity id or name) stands for, and a title."""
    kb, ev = plan.knowledge, plan.evaluation
    target = resolve(plan, target)
    for step in plan.steps:
        if target in (step["id"], step["activity"]):
            facts = [f for f in ev.of_kind("step") if f["activity"] == step["activity"] and f["phase"] == step["phase"]]
            return facts, f"{step['id']} {step['name']} ({step['phase']} phase)"
    for objective in plan.objectives:     # an objective, by its id (brief section 23)
        if str(target).strip().upper() == objective["id"]:
            return ([f for f in ev.of_kind("objective") if f["id"] == objective["fact"]],
                    f"{objective['id']} {objective['because']}")
    if target in kb.activities:
        for kinds, title in ((("step",), "an alternative step"), (("deferred",), "deferred"),
                             (("fails", "activity_fails"), "not recommended now")):
            found = [f for kind in kinds for f in ev.of_kind(kind) if f["activity"] == target]
            if found:
                return found, f"{kb.activities[target]['name']}: {title}"
        return [], f"{kb.activities[target]['name']}: never proposed"
    unknown_target(plan, target)


def unknown_target(plan, target, command="seqplan why", activities_only=False):
    """Refuse ``target``, which names nothing of the plan, in one line with the closest name."""
    if activities_only:
        raise InputError(command, target, "unknown activity id or name",
                         near_miss(plan, target) or "use an activity's name or id (`seqplan kb list activities`)")
    if not plan.steps and re.fullmatch(r"[Ss]\d+", str(target).strip()):
        raise InputError(command, target, "this plan has no steps",
                         "ask about an activity by name or id; `seqplan why-not FILE ACTIVITY` says what blocks it")
    raise InputError(command, target, "is neither a step id nor an activity id or name",
                     near_miss(plan, target) or "use a step id such as S1, or an activity's name or id "
                                                 "(`seqplan kb list activities`)")


def how(plan, facts):
    """Number every derived fact behind ``facts``, nearest first, down to input facts."""
    kb, producers = plan.knowledge, _producers(plan)
    numbers, nodes, queue = {}, [], list(facts)
    while queue:
        fact = queue.pop(0)
        if fact["id"] in numbers or fact["id"] not in producers:
            continue
        firing = producers[fact["id"]]
        rule = kb.rules[firing.rule]
        numbers[fact["id"]] = len(nodes) + 1
        nodes.append(Node(len(nodes) + 1, fact, firing.rule, rule["title"], because(kb, firing), rule["sources"],
                          tests=[t for t in firing_tests(kb, firing) if not t.is_link]))
        for name, matched in firing.matched.items():
            nodes[-1].matched.append((name, matched))
            queue.append(matched)
    for node in nodes:
        node.matched = [(name, numbers.get(f["id"]), f) for name, f in node.matched]
    return nodes


def input_origin(plan, fact):
    """The scores an input fact was computed from (a region summary's function scores)."""
    if fact["kind"] != "region_summary":
        return []
    return [f for f in plan.evaluation.of_kind("function_score") if f["region"] == fact["region"]]


def render_how(plan, target):
    facts, title = targets(plan, target)
    lines = [f"Why: {title}"]
    if not facts:
        lines.append("No rule concluded anything about it; see `seqplan why-not`.")
        return "\n".join(lines) + "\n"
    for node in how(plan, facts):
        lines.append(f"{node.number}. {describe(node.fact)}")
        lines.append(f"   rule {node.rule}: {node.title}")
        lines.append(f"   because: {node.because}")
        lines.append(f"   sources: {', '.join(node.sources)}")
        for test in node.tests:
            lines.append(f"   holds: {test.describe()}")
        for name, number, fact in node.matched:
            if number:
                lines.append(f"   {name}: see {number}")
            else:
                lines.append(f"   {name}: input {describe(fact)}")
                for origin in input_origin(plan, fact):
                    lines.append(f"      from {origin['function']} = {origin['score']}")
    return "\n".join(lines) + "\n"


def render_why_not(plan, activity):
    """Why ``activity`` is not a step: the blocking rules with their failed conditions,
    or, if nothing proposed it, each proposing rule pattern by pattern."""
    kb = plan.knowledge
    activity = resolve(plan, activity)
    if activity not in kb.activities:
        unknown_target(plan, activity, "seqplan why-not", activities_only=True)
    name = kb.activities[activity]["name"]
    step = next((s for s in plan.steps if s["activity"] == activity), None)
    if step:
        return f"{name} is step {step['id']} of the plan; `seqplan why FILE {step['id']}` shows how.\n"
    if any(a["activity"] == activity for a in plan.alternatives):    # the selection policy (parameters) in words
        words = Words(plan)
        if name in plan.daily_time["left_out"]:
            return words.fill(words.table["why_not"]["left_out"], name=name, limit=plan.daily_time["limit"],
                              parameter=plan.daily_time["parameter"]) + "\n"
        return words.fill(words.table["why_not"]["alternative"], name=name, **selection(plan, words)) + "\n"
    producers = _producers(plan)
    lines = []
    for kind, heading in (("deferred", "deferred"), ("fails", "fails one of the 6 Rs"),
                          ("activity_fails", "fails one of the 6 Rs")):
        for fact in (f for f in plan.evaluation.of_kind(kind) if f["activity"] == activity):
            firing = producers[fact["id"]]
            lines.append(f"- {heading}: {describe(fact)}")
            lines.append(f"  rule {firing.rule}: {kb.rules[firing.rule]['title']}")
            lines.append(f"  because: {because(kb, firing)}")
            for test in firing_tests(kb, firing):
                if not test.is_link:
                    lines.append(f"  condition: {test.describe()}")
            for pattern, spec in kb.rules[firing.rule]["when"].items():
                if spec.get("not"):
                    tests = evaluate_pattern(pattern, spec, {}, firing.matched, kb.parameter_values)
                    wanted = ", ".join(f"{t.field}={t.required}" for t in tests)
                    lines.append(f"  condition: no {spec['fact']} fact with {wanted}")
            # a matched fact with an `until` is a gate: show the conditions that closed it
            for matched in firing.matched.values():
                gate = producers.get(matched["id"])
                if gate is None or "until" not in matched:
                    continue
                lines.append(f"  gate {gate.rule} ({kb.rules[gate.rule]['title']}), closed because:")
                for cause in [gate] + [producers[f["id"]] for f in gate.matched.values() if f["id"] in producers]:
                    for test in firing_tests(kb, cause):
                        if not test.is_link:
                            lines.append(f"    {test.describe()} ({cause.rule})")
                lines.append(f"  would change when: {matched['until']}")
    if lines:
        return f"Why not {name} ({activity}):\n" + "\n".join(lines) + "\n"
    by_kind = {kind: plan.evaluation.of_kind(kind) for kind in {f["kind"] for f in plan.facts.values()}}
    lines.append(f"Why not {name} ({activity}): no rule proposed it. Rules that could have:")
    for rule in kb.active_rules:
        if not any(t["fact"] == "candidate" for t in rule["then"]):
            continue
        lines.append(f"- {rule['id']}: {rule['title']}")
        for result in trace_rule(kb, rule, by_kind, fixed={"activity": activity}):
            state = "pass" if result.matches else "FAIL"
            what = f"{'no ' if result.negated else ''}{result.pattern['fact']}"
            lines.append(f"    {state}: {result.name} ({what}): {result.matches} match(es)")
            if not result.matches and not result.negated:
                for failed in result.nearest[:2]:
                    for test in failed:
                        lines.append(f"      nearest fact fails: {test.describe()}")
                if not result.nearest:
                    lines.append(f"      no {result.pattern['fact']} fact exists for this child")
    return "\n".join(lines) + "\n"


def render_trace(plan, fmt="text"):
    """Every firing in order: text, or JSON Lines with the matched facts inline."""
    lines = []
    for firing in plan.evaluation.trace:
        if fmt == "jsonl":
            lines.append(json.dumps({"n": firing.n, "rule": firing.rule,
                                     "matched": {k: {f: v for f, v in fact.items() if f != "sid"}
                                                 for k, fact in firing.matched.items()},
                                     "concluded": [plan.facts[c] for c in firing.concluded]},
                                    ensure_ascii=False, sort_keys=True))
        else:
            matched = "; ".join(f"{k}: {describe(v)}" for k, v in firing.matched.items())
            concluded = "; ".join(describe(plan.facts[c]) for c in firing.concluded) or "nothing new"
            lines.append(f"{firing.n}. {firing.rule} matched {matched} -> {concluded}")
    return "\n".join(lines) + "\n"
