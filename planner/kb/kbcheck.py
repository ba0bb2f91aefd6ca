"""``seqplan kb check`` and ``seqplan kb coverage``: the knowledge base's own tests.

``check`` finds what loading cannot: dangling references, justifications that name
facts the rule does not match, rules that can never fire, negations that look at
their own or a later layer (durable-rules does not stratify negation), and
recommendations that could coincide with a deferral.
"""
from __future__ import annotations

import re
from pathlib import Path

from planner.reasoning.compiler import RESERVED
from planner.errors import KnowledgeBaseError
from planner.kb.explain import fields_read, sandbox
from planner.kb.explain import helpers as explain_helpers

# durable-rules limits (the engineering notes on durable-rules, sharp edge 7)
MAX_RULES = 4096
MAX_RULES_PER_FIRST_TEST = 256
TAG = re.compile(r"@rule:([A-Z][A-Z0-9-]*-[0-9]{3})\b")


def _citations(kb):
    """Every (where, citation) pair in the knowledge base."""
    for pid, p in kb.parameters.items():
        yield f"parameters.yaml {pid}", p["sources"]
    for table, name in ((kb.regions, "regions.yaml"), (kb.phases, "regions.yaml"), (kb.periods, "regions.yaml"),
                        (kb.functions, "functions.yaml"), (kb.doses, "doses.yaml")):
        for ident, item in table.items():
            yield f"{name} {ident}", item["sources"]
    for aid, a in kb.activities.items():
        yield f"activities.yaml {aid}", a["provenance"]["sources"]
    for fid, use in kb.strength_uses.items():
        yield f"strengths.yaml {fid}", use["sources"]
    for rid, rule in kb.rules.items():
        yield f"{kb.rule_files[rid]} {rid}", rule["sources"]


# Parameters seqplan itself reads (facts: the rating scale; plan layout: steps per phase,
# the day's minutes, the order of steps), so no rule needs to mention them.
READ_BY_PLANNER = {"rating_scale_max", "steps_per_phase", "daily_minutes_max", "prefer_matched_interests",
                   "daily_life_roles", "branches",
                   # facts.py: region means, settings and the referral tables (brief v3)
                   "qualifier_hides_developmental_age", "not_ratable_before_years", "setting_stands_in",
                   "settings_by_referral", "road_ahead_years", "referral_functions", "referral_concerns",
                   "referral_services", "step_down_steps_per_phase", "fails_not_lifted_by_waiting", "step_order",
                   "daily_limit_exempt", "interest_first_phases",
                   # goals (brief section 23): targets in facts.py, numbers in justifications
                   "objective_rating_steps", "objective_relational_step", "objective_signs",
                   "objective_state_days", "objective_safe_adults",
                   # planner.plans.attainment: the Goal Attainment Scale and the arousal order
                   "attainment_scale", "arousal_states_order", "sensory_function_needs",
                   # planner.caseload.summary: which reviews a batch's summary lists as due soon
                   "review_due_soon_weeks"}
CATEGORIES = ("therapeutic", "educational", "enrichment")   # brief section 12; the schema's enum too


def _producers(kb):
    """kind -> [(layer index, conclusion template)]; input facts are layer 0, template None."""
    producers = {kind: [(0, None)] for kind in kb.input_facts}
    for rule in kb.active_rules:
        layer = kb.layers.index(rule["layer"]) + 1
        for template in rule["then"]:
            producers.setdefault(template["fact"], []).append((layer, template))
    return producers


def _check_every_r_decided(kb, producers):
    """SEL-001 makes a step of a candidate none of whose Rs failed, so each R must end met
    or failed: some rule can fail it, a rule meets it by default when nothing else did (a
    negated `meets` of that R), or every phase's dose gives it."""
    can_fail = {t.get("r") for kind in ("fails", "activity_fails") for _, t in producers.get(kind, []) if t}
    by_default = {t.get("r") for rule in kb.active_rules for t in rule["then"]
                  if t["fact"] in ("meets", "activity_meets")
                  and any(p.get("fact") == t["fact"] and p.get("not") and p.get("r") == t.get("r")
                          for p in rule["when"].values())}
    errors = []
    for r in kb.six_rs:
        undosed = [phase for phase in kb.phases if r not in kb.dose_gives.get(phase, {})]
        if r not in can_fail | by_default and undosed:
            errors.append(f"rules: nothing can fail '{r}', no rule meets it by default, and the dose of "
                          f"{', '.join(undosed)} does not give it (doses.yaml gives): a candidate could become "
                          f"a step without it")
    return errors


def _may_match(template, pattern):
    """Could a fact concluded by ``template`` match ``pattern``? Only literal equality
    tests can rule it out (e.g. ``r: respectful`` against a conclusion ``r: relational``)."""
    if template is None:
        return True
    for field, test in pattern.items():
        if field in RESERVED or isinstance(test, (dict, list)) or str(test).startswith("$"):
            continue
        value = template.get(field)
        if isinstance(value, str) and value.startswith("$"):
            continue
        if field in template and value != test:
            return False
    return True


def _fields(kb):
    """kind -> the fields its facts can carry."""
    fields = {kind: set(spec["fields"]) for kind, spec in kb.input_facts.items()}
    for rule in kb.active_rules:
        for template in rule["then"]:
            fields.setdefault(template["fact"], set()).update(k for k in template if k != "fact")
    return fields


def _check_catalogue(kb):
    errors = []
    roles, tags, settings = kb.role_words.ids, kb.tag_words.ids, kb.setting_words.ids
    for fid, f in kb.functions.items():
        if f["region"] not in kb.regions:
            errors.append(f"functions.yaml {fid}: unknown region '{f['region']}'")
        elif kb.regions[f["region"]]["factor"] != f["factor"]:
            errors.append(f"functions.yaml {fid}: factor '{f['factor']}' is not the factor of region '{f['region']}'")
        if sorted(map(int, f["rating"])) != [0, 6, 12]:
            errors.append(f"functions.yaml {fid}: rating guidance needs exactly 0, 6 and 12")
    stages = {r["stage"] for r in kb.regions.values()}
    branches = kb.parameter_values.get("branches") or []
    for branch in branches:
        for field, known in (("settings", settings), ("roles", roles)):
            errors.extend(f"parameters.yaml branches: {branch.get('id')}: {field}: unknown '{value}'"
                          for value in branch.get(field, []) if value not in known)
    for aid, a in kb.activities.items():
        where = f"activities.yaml {aid}"
        if a["stage"] not in stages:
            errors.append(f"{where}: stage '{a['stage']}' is no region's stage ({', '.join(sorted(stages))})")
        for field, known in (("targets", kb.regions), ("functions", kb.functions), ("tags", tags),
                             ("delivered_by", roles), ("needs", roles), ("settings", settings),
                             ("rs_by_design", kb.six_rs)):
            for value in a.get(field, []):
                if value not in known:
                    errors.append(f"{where}: {field}: unknown '{value}'")
        if not any(kb.regions.get(t, {}).get("stage") == a["stage"] for t in a["targets"]):
            errors.append(f"{where}: targets no region of its own stage '{a['stage']}'")
        if a["dev_age"]["min"] > a["dev_age"]["max"]:
            errors.append(f"{where}: dev_age min is above max")
        if a.get("category") not in CATEGORIES:
            errors.append(f"{where}: category: '{a.get('category')}' is not one of {', '.join(CATEGORIES)}")
        errors.extend(_check_branch(where, a, branches))
    covered = {}
    for did, d in kb.doses.items():
        if d["phase"] not in kb.phases:
            errors.append(f"doses.yaml {did}: unknown phase '{d['phase']}'")
        errors.extend(f"doses.yaml {did}: where: unknown setting '{s}'" for s in d["where"] if s not in settings)
        for band in d["bands"]:
            if band in covered.get(d["phase"], {}):
                errors.append(f"doses.yaml {did}: band '{band}' of phase '{d['phase']}' already has dose "
                              f"'{covered[d['phase']][band]}'")
            covered.setdefault(d["phase"], {})[band] = did
    # Every step gets exactly one dose: each phase needs one for every band and for an unjudged region.
    for phase in kb.phases:
        missing = [b for b in [*kb.bands, "unjudged"] if b not in covered.get(phase, {})]
        if missing:
            errors.append(f"doses.yaml: phase '{phase}' has no dose for band(s) {', '.join(missing)}")
        if phase not in kb.dose_gives:
            errors.append(f"doses.yaml: gives: no entry for phase '{phase}'")
    errors.extend(f"strengths.yaml {fid}: unknown function" for fid in kb.strength_uses if fid not in kb.functions)
    for where, citations in _citations(kb):
        for citation in citations:
            if citation.split("#")[0] not in kb.sources:
                errors.append(f"{where}: cites unknown source '{citation}'")
            elif kb.brief_sections and not 1 <= int(citation.split("#")[1]) <= kb.brief_sections:
                errors.append(f"{where}: cites section {citation.split('#')[1]} of the domain brief, which has "
                              f"sections 1-{kb.brief_sections} ('{citation}')")
    return errors


def _check_branch(where, activity, branches):
    """An activity's ``branch`` names known branches (parameter ``branches``) and agrees with
    its ``settings``: exactly the branches that cover one of its settings."""
    if not branches:
        return [f"{where}: branch: the parameter 'branches' is missing"]
    known = {b["id"]: set(b["settings"]) for b in branches}
    unknown = [b for b in activity.get("branch", []) if b not in known]
    if unknown:
        return [f"{where}: branch: unknown '{b}' (known: {', '.join(known)})" for b in unknown]
    expected = [b for b, covers in known.items() if covers & set(activity["settings"])]
    if sorted(activity.get("branch", [])) != sorted(expected):
        return [f"{where}: branch {activity.get('branch')} does not agree with settings {activity['settings']} "
                f"(expected {expected}, parameter 'branches')"]
    return []


def _check_rule(kb, rule, producers, fields, env):
    import jinja2.meta

    where = f"{kb.rule_files[rule['id']]} {rule['id']}"
    layer = kb.layers.index(rule["layer"]) + 1
    errors, positive = [], {}
    for name, pattern in rule["when"].items():
        kind = pattern["fact"]
        layers = [lay for lay, template in producers.get(kind, []) if _may_match(template, pattern)]
        if not layers:
            errors.append(f"{where}: can never fire: nothing produces '{kind}' facts like pattern '{name}'")
            continue
        if pattern.get("not"):
            # A rule's own conclusion may match its negation ("met provisionally unless already
            # met") when the negation pins every joined field of that conclusion: it then only
            # stops the rule firing twice for the same facts, so firing order cannot matter.
            own = [template for template in rule["then"] if template["fact"] == kind
                   and all(pattern.get(f) == v for f, v in template.items()
                           if isinstance(v, str) and v.startswith("$") and "." in v)]
            layers = [lay for lay, template in producers.get(kind, [])
                      if _may_match(template, pattern) and not any(template is t for t in own)]
            if layers and max(layers) >= layer:
                errors.append(f"{where}: pattern '{name}' negates '{kind}', which layer "
                              f"'{kb.layers[max(layers) - 1]}' produces: a negation may only look at "
                              f"input facts or earlier layers")
        elif min(layers) > layer:
            errors.append(f"{where}: can never fire: '{kind}' (pattern '{name}') is first produced in the later "
                          f"layer '{kb.layers[min(layers) - 1]}'")
        for field, test in pattern.items():
            if field in RESERVED:
                continue
            if field not in fields.get(kind, ()):
                errors.append(f"{where}: pattern '{name}' tests '{field}', which '{kind}' facts do not carry")
            values = test.values() if isinstance(test, dict) else [test]
            errors.extend(_check_refs(where, values, positive, fields))
        if not pattern.get("not"):
            positive[name] = kind
    for template in rule["then"]:
        errors.extend(_check_refs(where, [v for k, v in template.items() if k != "fact"], positive, fields))
    try:
        names = jinja2.meta.find_undeclared_variables(env.parse(rule["because"]))
    except jinja2.TemplateSyntaxError as exc:
        return errors + [f"{where}: because: template error: {exc.message}"]
    helpers = set(explain_helpers(kb))
    errors.extend(f"{where}: because uses '{n}', which is neither a positive pattern nor a helper"
                  for n in sorted(names - helpers - set(positive)))
    for pattern, field in fields_read(env.parse(rule["because"]), helpers) or ():
        if pattern in positive and field not in fields.get(positive[pattern], ()):
            errors.append(f"{where}: because reads '{pattern}.{field}', which '{positive[pattern]}' facts do not carry")
    errors.extend(_render_problems(kb, rule, positive, fields))
    kinds = {t["fact"] for t in rule["then"]}
    if "step" in kinds and not any(p.get("not") and p["fact"] == "deferred" for p in rule["when"].values()):
        errors.append(f"{where}: concludes a step without excluding a deferral of the same activity "
                      f"(add a `not: true` pattern on 'deferred')")
    return errors


def _render_problems(kb, rule, positive, fields):
    """Render the justification once, as a plan would (the same sandbox and output limit),
    every field of its facts 1: what the sandbox refuses for every value (a repetition too
    long, a forbidden operator, an output over the limit) would end every plan it fires in.
    Other failures depend on the values and are a plan's to report."""
    from types import SimpleNamespace

    from jinja2.sandbox import SecurityError

    from planner.kb.explain import because

    matched = {name: dict.fromkeys(fields.get(kind, ()), 1) for name, kind in positive.items()}
    try:
        because(kb, SimpleNamespace(rule=rule["id"], matched=matched))
    except KnowledgeBaseError as exc:
        refused = isinstance(exc.__cause__, (SecurityError, MemoryError, OverflowError)) or (
            isinstance(exc.__cause__, ValueError) and "longer than" in str(exc.__cause__))
        if refused:
            return [f"{kb.rule_files[rule['id']]} {rule['id']}: because: every plan would refuse it: {exc.__cause__}"]
    return []


def _check_refs(where, values, positive, fields):
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.startswith("$") and "." in item:
                pattern, field = item[1:].split(".", 1)
                if pattern in positive and field not in fields.get(positive[pattern], ()):
                    yield f"{where}: '{item}': '{positive[pattern]}' facts carry no field '{field}'"


def _values(rule):
    """Every string value in a rule's patterns and conclusions."""
    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)
        elif isinstance(node, str):
            yield node
    yield from walk(rule["when"])
    yield from walk(rule["then"])


def _check_concluded(kb):
    """kb.yaml concluded_facts: each kind the planner reads is concluded by an active rule,
    and every rule concluding it gives the fields the planner reads."""
    errors = []
    for kind, contract in kb.concluded_facts.items():
        templates = [(rule["id"], t) for rule in kb.active_rules for t in rule["then"] if t.get("fact") == kind]
        if not templates:
            errors.append(f"kb.yaml concluded_facts.{kind}: no active rule concludes it, and seqplan reads it "
                          f"({', '.join(contract['read_by'])})")
        for rule_id, template in templates:
            missing = [f for f in contract["fields"] if f not in template]
            if missing:
                errors.append(f"rule {rule_id}: concludes {kind} without {', '.join(missing)}, which seqplan reads "
                              f"(kb.yaml concluded_facts.{kind})")
    return errors


DECISION_WORDS = ("decided", "with_reason", "without_reason", "with_note", "deferred_until", "chosen_dose", "not_checked")


def _check_decision_codes(kb):
    """decisions.yaml: the code set a clinician's decisions carry (planner.record.decisions)."""
    from planner.kb.explain import side_table

    table = side_table(kb, "decisions.yaml")
    where = "decisions.yaml"
    if not isinstance(table, dict):
        return [f"{where}: not a mapping"]
    errors = [f"{where}: {key}: missing" for key in ("actions", "systems", "reasons", "roles", "words")
              if not isinstance(table.get(key), (dict, list))]
    if errors:
        return errors
    seen = set()
    for reason in table["reasons"]:
        code = reason.get("code") if isinstance(reason, dict) else None
        if not code or not reason.get("label") or reason.get("status") not in ("active", "retired"):
            errors.append(f"{where}: reason {code or reason!r}: needs a code, a label and a status (active or retired)")
        elif reason.get("system") not in table["systems"]:
            errors.append(f"{where}: reason {code}: system '{reason.get('system')}' is not one of systems")
        if code in seen:
            errors.append(f"{where}: reason {code}: listed twice (a code is never reused)")
        seen.add(code)
    errors += [f"{where}: actions: '{a}' is missing" for a in ("accept", "drop", "replace", "add", "defer")
               if a not in table["actions"]]
    errors += [f"{where}: words: '{w}' is missing" for w in DECISION_WORDS if w not in table["words"]]
    return errors


def _check_styles(kb):
    """Every band (and unrated) has a fill on the map, every region (and relational health) a line."""
    wanted = (("bands", [*kb.bands, "unrated"]), ("lines", [*kb.regions, "relational_health"]))
    return [f"regions.yaml styles.{part}: no style for '{ident}'"
            for part, idents in wanted for ident in idents if ident not in kb.styles.get(part, {})]


def check(kb):
    """Every problem with ``kb``, as one line each (empty when it is sound)."""
    from planner.kb.policy import STEP_ORDER, unknown_criteria
    from planner.reasoning.compiler import compile_ruleset, unbounded_joins
    from planner.reasoning.facts import catalogue_counts

    errors = _check_catalogue(kb) + _check_decision_codes(kb) + _check_concluded(kb) + _check_styles(kb)
    producers, fields = _producers(kb), _fields(kb)
    errors.extend(_check_every_r_decided(kb, producers))
    # the sandbox planning renders in: a constant a template builds (a string repeated 10^9
    # times) is never folded at check time, where no limit would stop it
    env = sandbox()
    for rule in kb.active_rules:
        errors.extend(_check_rule(kb, rule, producers, fields, env))
    used = {value[1:] for rule in kb.active_rules for value in _values(rule) if value.startswith("$") and "." not in value}
    used |= READ_BY_PLANNER
    errors.extend(f"parameters.yaml {pid}: no active rule uses it" for pid in kb.parameters if pid not in used)
    errors.extend(f"parameters.yaml step_order: unknown criterion '{name}' (use {', '.join(STEP_ORDER)})"
                  for name in unknown_criteria(kb.parameter_values.get("step_order", ())))
    if len(kb.rules) > MAX_RULES:
        errors.append(f"{len(kb.rules)} rules: durable-rules handles at most {MAX_RULES}")
    for layer in kb.layers:
        count = sum(r["layer"] == layer for r in kb.active_rules)
        if count > MAX_RULES_PER_FIRST_TEST:
            errors.append(f"layer '{layer}' has {count} rules: durable-rules allows {MAX_RULES_PER_FIRST_TEST} "
                          f"rules sharing a first test; split the layer")
    try:
        compile_ruleset(kb.active_rules, kb.layers, kb.parameter_values, kb.fact_kinds)
    except KnowledgeBaseError as exc:
        errors.append(str(exc))
    errors.extend(unbounded_joins(kb.active_rules, catalogue_counts(kb)))
    return errors


def scenario_tags(features_dir):
    """rule id -> the feature files that tag a scenario with ``@rule:<id>``."""
    tags = {}
    for path in sorted(Path(features_dir).rglob("*.feature")):
        for rule_id in TAG.findall(path.read_text("utf-8")):
            tags.setdefault(rule_id, set()).add(path.name)
    return tags


def coverage(kb, features_dir):
    """(covered rule ids, uncovered rule ids, unknown tagged ids) for the active rules."""
    tags = scenario_tags(features_dir)
    active = [r["id"] for r in kb.active_rules]
    covered = [r for r in active if r in tags]
    uncovered = [r for r in active if r not in tags]
    unknown = sorted(t for t in tags if t not in kb.rules)
    return covered, uncovered, unknown
