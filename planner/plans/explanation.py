"""One explanation model for ``seqplan why`` and ``seqplan why-not`` (issue 22): for a step,
deferral, exclusion, referral, caution or objective, a one-sentence answer in plain words,
then the chain of rules and facts behind it as a tree, each node named in words (the rule's
title, the fact as a clinician would say it, its value), with the sources as references.

The words live in templates/explain.yaml, keyed by the kind of answer and the kind of fact;
this module only gathers the plan's own conclusions and fills them in. ``explain`` returns
the model as plain data (the ``--format json`` output), which the web page can call as is;
``render`` prints it as text or Markdown through templates/why.*.j2.
"""
from __future__ import annotations

import json

from planner.errors import InputError
from planner.plans.why import how, input_origin, resolve, unknown_target
from planner.plans.words import Words, say, selection

EXPLAIN_FORMAT = "seqplan/why-1"
FORMATS = ("text", "md", "json")
def _tree(plan, words, roots, chain):
    """``chain`` (planner.plans.why.how of ``roots``) as nested nodes, depth first; a fact
    reached twice is expanded once and referred to by its number after that."""
    nodes = {node.fact["id"]: node for node in chain}
    numbers = {}

    def expand(fact):
        if fact["id"] in numbers:
            return {"fact": words.fact(fact), "see": numbers[fact["id"]], "children": []}
        numbers[fact["id"]] = len(numbers) + 1
        out = {"n": numbers[fact["id"]], "fact": words.fact(fact)}
        node = nodes.get(fact["id"])
        if node is None:     # an input fact: from the assessment (with the scores behind it) or the catalogue
            out["given"] = "catalogue" if fact["kind"] in words.table["catalogue"] else "assessment"
            out["children"] = [{"fact": words.fact(f), "given": "assessment", "children": []}
                               for f in input_origin(plan, fact)]
            return out
        out.update(rule={"id": node.rule, "title": node.title}, because=node.because, sources=list(node.sources))
        out["children"] = [expand(f) for _, _, f in node.matched]
        return out

    return [expand(f) for f in roots if f["id"] in nodes]


def _walk(tree):
    """Every node of ``tree``, depth first."""
    for node in tree:
        yield node
        yield from _walk(node["children"])


def _never_proposed(plan, words, activity):
    """Each rule that proposes activities, and where it stops for ``activity``, in words."""
    from planner.plans.matcher import trace_rule

    kb, ev = plan.knowledge, plan.evaluation
    conditions = words.table["conditions"]
    by_kind = {kind: ev.of_kind(kind) for kind in {f["kind"] for f in plan.facts.values()}}
    tree = []
    for rule in kb.active_rules:
        if not any(t["fact"] == "candidate" for t in rule["then"]):
            continue
        stops = []
        for result in trace_rule(kb, rule, by_kind, fixed={"activity": activity}):
            if result.matches or result.negated:
                continue
            failed = [t for tests in result.nearest[:1] for t in tests if not t.passed]
            stops = [{"fact": words.fill(conditions["failed"], kind=t.kind, actual=t.actual, required=t.required,
                                         field=conditions["fields"].get(t.field, t.field), op=t.op,
                                         ops=conditions["ops"]),
                      "children": []} for t in failed] or [
                {"fact": words.fill(conditions["missing"], kind=result.pattern["fact"]), "children": []}]
            break
        tree.append({"fact": words.fill(conditions["stops" if stops else "together"], rule=rule["title"]),
                     "rule": {"id": rule["id"], "title": rule["title"]},
                     "sources": list(rule["sources"]), "children": stops})
    return tree


def _activity_answer(plan, words, activity):
    """(answer, title, roots, sentence values) for an activity that is not a step: the first
    list of the plan that holds it (waits, needs a referral, not recommended, alternative)."""
    kb, ev = plan.knowledge, plan.evaluation
    name = kb.activities[activity]["name"]

    def of(*kinds):
        return [f for kind in kinds for f in ev.of_kind(kind) if f.get("activity") == activity]

    def listed(entries):
        return next((e for e in entries if e["activity"] == activity), None)

    if entry := listed(plan.deferred):
        also = [words.fill(words.table["even_then"]["referral" if b["r"] == "referral" else "other"], r=b["r"])
                for b in entry["also_blocked_by"]]
        return "deferred", f"{name} (waits)", of("deferred"), {"until": entry["gate_until"], "also": also}
    if entry := listed(plan.referrals):
        return "referral", f"{name} (needs a referral)", of("referral"), {"because": entry["because"]}
    if entry := listed(plan.excluded):
        return ("excluded", f"{name} (not recommended now)", of("fails", "activity_fails"),
                {"rs": [f["r"].capitalize() for f in entry["fails"]], "fails": [f["because"] for f in entry["fails"]]})
    if listed(plan.alternatives):
        if name in plan.daily_time["left_out"]:
            return "left_out", f"{name} (left out for the day's time)", of("candidate"), {
                "limit": plan.daily_time["limit"]}
        return "alternative", f"{name} (an alternative)", of("candidate"), selection(plan, words)
    return "never_proposed", f"{name} (never proposed)", [], {}


def _answer(plan, words, target, why_not):
    """(answer, title, roots, sentence values) for ``target``, or a one-line InputError."""
    kb, ev = plan.knowledge, plan.evaluation
    target = resolve(plan, target)
    for step in plan.steps:
        if target in (step["id"], step["activity"]):
            roots = [f for f in ev.of_kind("step") if f["activity"] == step["activity"] and f["phase"] == step["phase"]]
            return "step", f"{step['id']} {step['name']} ({step['phase']} phase)", roots, {
                "name": step["name"], "step": step["id"], "phase": step["phase"]}
    if target in kb.activities:
        answer, title, roots, values = _activity_answer(plan, words, target)
        return answer, title, roots, {"name": kb.activities[target]["name"], **values}
    if not why_not:
        key = str(target).strip()
        for objective in plan.objectives:
            if key.upper() == objective["id"]:
                return "objective", f"{objective['id']} (objective)", [
                    f for f in ev.of_kind("objective") if f["id"] == objective["fact"]], {"because": objective["because"]}
        for caution in plan.cautions:
            if key == caution["caution"]:
                return "caution", f"{say(key).capitalize()} (caution)", [
                    f for f in ev.of_kind("caution") if f["caution"] == key], {"because": caution["because"]}
        for referral in plan.referrals_to_consider:
            if key == referral["service"]:
                return "referral_to_consider", f"{referral['label']} (referral to consider)", [
                    f for f in ev.of_kind("consider_referral") if f["service"] == key], {"because": referral["because"]}
    unknown_target(plan, target, "seqplan why-not" if why_not else "seqplan why",
                   activities_only=why_not)


def explain(plan, target, why_not=False):
    """The explanation of ``target`` (a step id, an activity's id or name, an objective id,
    a caution id or a referral's service id; with ``why_not``, an activity only) as data:
    the sentence, the tree and the references, deterministic."""
    kb, words = plan.knowledge, Words(plan)
    answer, title, roots, values = _answer(plan, words, target, why_not)
    chain = how(plan, roots)
    tree = (_never_proposed(plan, words, resolve(plan, target)) if answer == "never_proposed"
            else _tree(plan, words, roots, chain))
    sentence = words.sentence(answer, reasons=words.reasons(answer, [n.fact for n in chain]), **values)
    cited = []
    for node in _walk(tree):
        cited += [c for c in node.get("sources", ()) if c not in cited]
    return {"format": EXPLAIN_FORMAT, "question": "why-not" if why_not else "why", "answer": answer,
            "title": title, "sentence": sentence, "tree": tree,
            "references": [_reference(kb, words, c) for c in cited]}


def _reference(kb, words, citation):
    """A citation as a reference: its id, the readable citation and a link where it has one."""
    source = kb.sources[citation.partition("#")[0]]
    link = source.get("link")
    for prefix, url in words.table["links"].items():
        if link and link.startswith(prefix):
            link = url + link[len(prefix):]
    return {"id": citation, "text": kb.cite(citation), "link": link}


def render(explanation, fmt="text"):
    """The explanation as text, Markdown or JSON (deterministic)."""
    if fmt == "json":
        return json.dumps(explanation, indent=2, ensure_ascii=False) + "\n"
    if fmt not in FORMATS:
        raise InputError("--format", fmt, "is not a format of an explanation", f"use one of {', '.join(FORMATS)}")
    from planner import templating

    return templating.text().get_template(f"why.{fmt}.j2").render(e=explanation)
