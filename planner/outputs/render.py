"""Plan model -> text, through the Jinja templates in templates/."""
from __future__ import annotations

import re

from planner.kb.explain import plain_language
from planner.outputs.view import excluded_by_reason, first_cautions, plan_view
from planner import templating
from planner.templating import pretty_json

FORMATS = ("md", "json", "html", "fhir")
AUDIENCES = ("therapist", "trainer", "auditor")
TEMPLATES = {("md", "therapist"): "plan.md.j2", ("md", "trainer"): "plan-trainer.md.j2",
             ("md", "auditor"): "plan-auditor.md.j2"}
def render_map(plan, prefix=""):
    """The Functional Brain Map of ``plan`` as SVG; ``prefix`` keeps element ids unique
    when several maps share one HTML page."""
    from planner.outputs.brainmap import KEY_LINE, KEY_TOP, ROW_HEIGHT, TOP, key_columns, layout, size

    rows = layout(plan)
    kb = plan.knowledge
    client = plan.client.get("name", plan.client["id"])
    return templating.html().get_template("map.svg.j2").render(
        rows=rows, size=size(rows), client=client, prefix=prefix, key_columns=key_columns(rows),
        withheld=getattr(plan, "redacted", []),
        key_top=TOP + len(rows) * ROW_HEIGHT + 10, key_line=KEY_LINE, key_first=KEY_TOP,
        band_labels={b: kb.bands[b]["label"] for b in kb.bands}, styles=kb.styles["bands"],
        legend=[*sorted(kb.bands, key=lambda b: -kb.bands[b]["order"]), "unrated"])


_SENTENCE = re.compile(r"(?<=\.)\s+")
_CLAUSE = re.compile(r"; | (?=\()")       # clauses, and a closing parenthesis such as "(range 2-10)"


def _join_clauses(parts):
    """The inverse of ``_CLAUSE.split``."""
    out = ""
    for part in parts:
        out += part if not out else (" " if part.startswith("(") else "; ") + part
    return out


def _shared(texts, split, join):
    """(the parts every text has, in the first text's order; each text without them)."""
    parts = [[p for p in split(t) if p] for t in texts]
    common = [p for p in parts[0] if all(p in other for other in parts[1:])] if len(parts) > 1 else []
    return join(common), [join([p for p in ps if p not in common]) for ps in parts]


def _factor(texts_by_step, six_rs):
    """[{"why", "rs"}] per step -> (what all of them share, each step's own rest)."""
    why, whys = _shared([t["why"] for t in texts_by_step], _SENTENCE.split, " ".join)
    shared, own = {"why": why, "rs": {}}, [{"why": w, "rs": {}} for w in whys]
    for r in six_rs:
        common, rest = _shared([t["rs"].get(r, "") for t in texts_by_step], _CLAUSE.split, _join_clauses)
        if common:
            shared["rs"][r] = common
        for mine, text in zip(own, rest):
            # a lone aside left once the shared reason is factored out ("(range 0-2)") says nothing
            if text and not (common and text.startswith("(")):
                mine["rs"][r] = text
    return shared, own


def step_groups(steps, six_rs):
    """Steps with what they share said once: first what every step shares (``everywhere``),
    then, per run of steps of one phase, what those share (justification sentences, dose,
    targets, the clauses of each R's reason), and each step's own rest; the rules behind
    each run, less those behind every step. Text is only regrouped here, never written."""
    groups = []
    for step in steps:
        if not groups or groups[-1]["phase"] != step["phase"]:
            groups.append({"phase": step["phase"], "steps": []})
        groups[-1]["steps"].append(step)
    texts = [{"why": s["because"], "rs": dict(s["six_rs"])} for s in steps]
    everywhere = {"why": "", "rs": {}, "rules": []}
    rules = [list(dict.fromkeys(r for s in g["steps"] for r in s["rules"])) for g in groups]
    if len(groups) > 1:
        everywhere, texts = _factor(texts, six_rs)
        everywhere["rules"] = [r for r in steps[0]["rules"] if all(r in s["rules"] for s in steps)]
    for group, own in zip(groups, rules):
        group["rules"] = [r for r in own if r not in everywhere["rules"]]
    start = 0
    for group in groups:
        members = group["steps"]
        mine, start = texts[start:start + len(members)], start + len(members)
        shared, own = _factor(mine, six_rs) if len(members) > 1 else ({"why": "", "rs": {}}, mine)
        group.update(why=shared["why"], rs=shared["rs"])
        doses = {(s["dose"]["frequency"], s["dose"]["minutes"]) for s in members}
        group["dose"] = members[0]["dose"] if len(members) > 1 and len(doses) == 1 else None
        targets = {tuple(s["targets"]) for s in members}
        group["targets"] = members[0]["targets"] if len(members) > 1 and len(targets) == 1 else None
        group["items"] = [{"step": s, "why": o["why"], "rs": o["rs"]} for s, o in zip(members, own)]
    return {"everywhere": everywhere, "groups": groups}


def deferred_groups(deferred):
    """Deferrals grouped by what opens their gate (``gate_until``, else ``until``), in the
    order of that text (as Jinja's groupby): [{"until", "items", "gates", "even_then"}].
    ``gates`` says each gate rule's reason once across the groups, for the first region it
    names, with ``also``: the other regions (ids) it holds for. ``even_then`` names, per R
    (or ``referral``), the activities that would still fail it once the gate opens:
    [{"r", "names"}], in first-met order. Text is only regrouped here."""
    groups, said, out = {}, set(), []
    for item in deferred:
        groups.setdefault(item.get("gate_until", item["until"]), []).append(item)
    for until in sorted(groups):
        gates = [g for item in groups[until] for g in item["gates"]]
        reasons = []
        for gate in gates:
            if gate["rule"] not in said:
                said.add(gate["rule"])
                also = [g["by"] for g in gates if g["rule"] == gate["rule"] and g["by"] != gate["by"]]
                reasons.append({"because": gate["because"], "also": list(dict.fromkeys(also))})
        even_then = {}
        for item in groups[until]:
            for blocked in item.get("also_blocked_by", ()):
                names = even_then.setdefault(blocked["r"], [])
                names += [item["name"]] if item["name"] not in names else []
        out.append({"until": until, "items": groups[until], "gates": reasons,
                    "even_then": [{"r": r, "names": names} for r, names in even_then.items()]})
    return out


def waits_in_summary(groups):
    """The deferred groups as the summary names them: without the activities that would also
    fail Relevant once their gate opens (they do not come next; Deferred lists them all);
    groups left empty are dropped."""
    out = []
    for group in groups:
        items = [i for i in group["items"] if not any(b["r"] == "relevant" for b in i.get("also_blocked_by", ()))]
        if items:
            out.append(dict(group, items=items))
    return out


def cited_sources(kb, cited):
    """The cited sources once each, in first-cited order, with the brief sections cited:
    [{"id", "citation", "label", "sections"}] ('perry2009#4' and 'perry2009#7' are one source)."""
    out = {}
    for citation in cited:
        source_id, _, section = citation.partition("#")
        entry = out.setdefault(source_id, dict(id=source_id, citation=kb.sources[source_id]["citation"],
                                               label=kb.sources[source_id]["label"], sections=[]))
        if section and section not in entry["sections"]:
            entry["sections"].append(section)
    return list(out.values())


_LIST_ITEM = re.compile(r"(?:[-*]|\d+\.) ")


def tidy_markdown(text):
    """Markdown laid out the same way whatever the template's branches left: one blank line
    between blocks (never two), a blank line before every heading and every list and around
    every table (a renderer would otherwise pull the next line into the table). Text is never
    changed."""
    out = []
    for line in text.split("\n"):
        blank = not line.strip()
        prev = out[-1] if out else None
        if blank:
            if prev is not None and prev.strip():
                out.append("")
            continue
        if prev and (line.startswith("#") or line.startswith("|") != prev.startswith("|")
                     or _LIST_ITEM.match(line) and not _LIST_ITEM.match(prev)):
            out.append("")
        out.append(line)
    return "\n".join(out).rstrip("\n") + "\n"


def _a_roles(kb):
    """``a_roles(['occupational_therapist', 'therapist'])`` in templates: 'an occupational
    therapist or a therapist' (labels and articles from the plain-language table)."""
    from planner.kb.explain import readable_words, role_phrase

    words = readable_words(kb)
    return lambda role_ids: role_phrase(words, role_ids)


def render_plan(plan, fmt="md", audience="therapist"):
    """Render ``plan`` in ``fmt`` (one of FORMATS) for ``audience`` (Markdown only; the
    JSON plan and the FHIR bundle are the same for everyone). Output is deterministic."""
    if fmt == "fhir":
        from planner.outputs.fhir import render_fhir

        return render_fhir(plan)
    kb = plan.knowledge
    env = templating.text()
    cited = []
    for item in plan.steps + plan.deferred:
        cited.extend(c for c in item["sources"] if c not in cited)
    if fmt == "json":
        return env.get_template("plan.json.j2").render(data=plan.to_dict())
    cautions, waiting = first_cautions(plan), deferred_groups(plan.deferred)
    shown = dict(plan=plan, v=plan_view(plan, kb, cautions), label=kb.label, cite=kb.cite, phases=kb.phases,
                 params=kb.parameter_values, cited=cited, cited_sources=cited_sources(kb, cited),
                 step_groups=step_groups(plan.steps, kb.six_rs), deferred_groups=waiting,
                 waits=waits_in_summary(waiting), six_rs=kb.six_rs,
                 first_cautions=cautions, a_roles=_a_roles(kb))
    if fmt == "html":
        from markupsafe import Markup

        return templating.html().get_template("report.html.j2").render(
            shown, map_svg=Markup(render_map(plan)), excluded_groups=excluded_by_reason(plan.excluded, kb.six_rs)[0])
    named_once = plain_language(kb).get("excluded_named_once", {}).get("rules", ())
    return tidy_markdown(env.get_template(TEMPLATES[(fmt, audience)]).render(
        shown, rules=kb.rules, detail=audience != "therapist",
        excluded_named_once=excluded_by_reason(plan.excluded, kb.six_rs, named_once)))


def render_progress(report, plans, fmt="md"):
    """The progress report over ``plans`` (two or more, in date order) as Markdown, HTML (a
    trend chart and the first and last maps) or JSON."""
    if fmt == "json":
        return pretty_json(report) + "\n"
    kb = plans[0].knowledge
    if fmt == "html":
        from markupsafe import Markup

        return templating.html().get_template("progress.html.j2").render(
            report=report, trend=Markup(render_trend(report, kb)), old_map=Markup(render_map(plans[0], "old-")),
            new_map=Markup(render_map(plans[-1], "new-")))
    return templating.text().get_template("progress.md.j2").render(report=report)


def render_trend(report, kb):
    """The SVG chart of a progress report's series (region means, relational health, state)."""
    from planner.plans.progress import trend_chart

    chart = trend_chart(report, kb.parameter_values["rating_scale_max"])
    return templating.html().get_template("trend.svg.j2").render(chart=chart, report=report, styles=kb.styles["lines"])


def render_handout(plan, reader, fmt="md"):
    """A one-page handout of ``plan`` for ``reader`` (caregiver or teacher), Markdown or HTML."""
    from planner.outputs.handout import HANDOUT_FORMATS, handout

    if fmt not in HANDOUT_FORMATS:
        from planner.errors import InputError

        raise InputError("seqplan handout", "--format", f"unknown format '{fmt}'", "use md or html")
    if fmt == "html":
        return templating.html().get_template("handout.html.j2").render(plan=plan, h=handout(plan, reader))
    return tidy_markdown(templating.text().get_template("handout.md.j2").render(plan=plan, h=handout(plan, reader)))
