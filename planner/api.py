"""Library functions behind each CLI command, importable by users.

Wherever a function takes an assessment ``path``, the name of a bundled example or teaching
vignette works too.
"""
from __future__ import annotations

from pathlib import Path

# re-exported: part of the library's interface, implemented where their stage lives
from planner.intake.examples import assessment_path  # noqa: F401
from planner.intake.validation import from_mapping, mapping_data, validate_file  # noqa: F401


def plan_for(path, kb_dir=None, redact=False):
    """Validate and plan one assessment; returns the ``Plan``."""
    from planner.intake.assessment import load_assessment
    from planner.kb.knowledge import load_knowledge_base
    from planner.plans.planning import make_plan

    path = assessment_path(path)
    if path.suffix.lower() == ".csv":
        from planner.errors import InputError
        raise InputError(path, None, "is a CSV file: one assessment per row",
                         "plan its rows with `seqplan batch FILE -o DIR`; check them with `seqplan validate FILE`")
    kb = load_knowledge_base(kb_dir)
    return make_plan(load_assessment(path, kb), kb, redact=redact)


def plan_file(path, fmt="md", redact=False, kb_dir=None, audience="therapist"):
    """Plan the assessment at ``path`` and return it rendered (md, json, html or fhir)."""
    from planner.outputs.render import render_plan

    return render_plan(plan_for(path, kb_dir, redact), fmt, audience)


def plan_for_data(mapping, kb_dir=None, redact=False, source="<data>", kb=None):
    """Validate and plan one assessment given as a mapping (the structure of an assessment
    file, e.g. from ``json.loads``); returns the ``Plan``. Errors are the ``InputError``
    a file would give, naming ``source`` instead of a file. ``mapping`` is not changed."""
    from planner.kb.knowledge import load_knowledge_base
    from planner.plans.planning import make_plan

    kb = kb or load_knowledge_base(kb_dir)
    return make_plan(from_mapping(mapping, kb, source), kb, redact=redact)


def plan_data(mapping, fmt="md", redact=False, kb_dir=None, audience="therapist", source="<data>"):
    """Plan the assessment given as a Python mapping and return it rendered (md, json, html
    or fhir): the same validation, errors and output as ``plan_file`` on a file holding it."""
    from planner.outputs.render import render_plan

    return render_plan(plan_for_data(mapping, kb_dir, redact, source), fmt, audience)


def validate_data(mapping, kb_dir=None, source="<data>"):
    """Every problem with an assessment given as a mapping (an empty list when it is valid)."""
    from planner.intake.assessment import validation_errors
    from planner.kb.knowledge import load_knowledge_base

    return validation_errors(mapping_data(mapping), source, "", load_knowledge_base(kb_dir))


def explain(path, target, fmt="text", kb_dir=None, why_not=False):
    """Why the plan for ``path`` holds ``target`` (a step id, an activity's id or name, an
    objective id, a caution or a referral's service; with ``why_not``, an activity): one plain
    sentence, then the chain of rules and facts as a tree in words, with the references
    (fmt text, md or json; planner.plans.explanation)."""
    from planner.plans.explanation import explain as model, render

    return render(model(plan_for(path, kb_dir), target, why_not), fmt)


def explain_how(path, target, kb_dir=None):
    """How the plan reached ``target`` (a step id or an activity id), as the engine has it:
    every fact and condition with the value found and required (``seqplan why --format rules``)."""
    from planner.plans.why import render_how

    return render_how(plan_for(path, kb_dir), target)


def explain_why_not(path, activity, kb_dir=None):
    """Why ``activity`` is not a step of the plan, as the engine has it (``seqplan why-not --format rules``)."""
    from planner.plans.why import render_why_not

    return render_why_not(plan_for(path, kb_dir), activity)


def trace_text(path, fmt="text", kb_dir=None):
    """Every rule firing of the plan, as text or JSON Lines."""
    from planner.plans.why import render_trace

    return render_trace(plan_for(path, kb_dir), fmt)


def brain_map(path, kb_dir=None, redact=False):
    """The Functional Brain Map of the assessment, as SVG."""
    from planner.outputs.render import render_map

    return render_map(plan_for(path, kb_dir, redact))


def progress_report(old, new, *later, fmt="md", kb_dir=None, redact=False):
    """Progress over two or more assessments of one client (given in any order, taken in
    date order), rendered (md, html or json): a trend of the region means and relational health, band transitions,
    gates opened and closed, and how the plan changed between consecutive assessments."""
    from planner.plans.progress import series
    from planner.outputs.render import render_progress

    report, plans = series([assessment_path(p) for p in (old, new, *later)], kb_dir, redact)
    return render_progress(report, plans, fmt)


def audit_plan(plan_json, path, kb_dir=None):
    """(reproduced?, report lines) for a stored JSON plan and the assessment it claims to follow from."""
    from planner.outputs.audit import audit

    return audit(plan_json, assessment_path(path), kb_dir)


def diff_knowledge_bases(path, kb_a, kb_b):
    """Report lines: how the plan for one assessment changes between two knowledge bases."""
    from planner.outputs.audit import diff_knowledge_bases as diff

    return diff(assessment_path(path), kb_a, kb_b)


def check_knowledge_base(kb_dir=None):
    """(one-line summary, [problems]) for the knowledge base in ``kb_dir``."""
    from planner.kb.kbcheck import check
    from planner.kb.knowledge import load_knowledge_base

    kb = load_knowledge_base(kb_dir)
    problems = check(kb)
    summary = (f"{kb.name} {kb.version}: {len(kb.functions)} functions, {len(kb.activities)} activities, "
               f"{len(kb.active_rules)} active rules in {len(kb.layers)} layers, {len(kb.parameters)} parameters: "
               + (f"{len(problems)} problem(s)" if problems else "ok"))
    return summary, problems


def rule_coverage(features_dir="features", kb_dir=None):
    """(report text, complete?) of active rules covered by a scenario tagged @rule:<ID>."""
    from planner.errors import InputError
    from planner.kb.kbcheck import coverage
    from planner.kb.knowledge import load_knowledge_base

    if not Path(features_dir).is_dir():
        raise InputError(features_dir, "--features", "is not a directory of feature files",
                         "run from the repository, or pass --features DIR")
    kb = load_knowledge_base(kb_dir)
    covered, uncovered, unknown = coverage(kb, features_dir)
    total = len(covered) + len(uncovered)
    lines = [f"rule coverage: {len(covered)}/{total} active rules have a scenario "
             f"({100 * len(covered) // max(total, 1)}%)"]
    lines += [f"no scenario: {rule_id} ({kb.rules[rule_id]['title']})" for rule_id in uncovered]
    lines += [f"unknown rule tagged: @rule:{rule_id}" for rule_id in unknown]
    return "\n".join(lines), not uncovered and not unknown


def list_knowledge(what, fmt="text", kb_dir=None):
    """The functions, activities, rules or parameters of a knowledge base, as text or JSON."""
    import json

    from planner.kb.knowledge import load_knowledge_base

    kb = load_knowledge_base(kb_dir)
    table = {"functions": kb.functions, "activities": kb.activities, "rules": kb.rules,
             "parameters": kb.parameters}[what]
    if fmt == "json":
        return json.dumps(list(table.values()), indent=2, ensure_ascii=False, default=str) + "\n"
    rows = []
    for ident, item in table.items():
        if what == "functions":
            rows.append(f"{ident}\t{item['region']}\t{item['factor']}\t{item['label']}")
        elif what == "activities":
            rows.append(f"{ident}\t{item['stage']}\t{','.join(item['targets'])}\t{item['name']}")
        elif what == "rules":
            rows.append(f"{ident}\t{item['layer']}\t{item['status']}\t{item['title']}")
        else:
            rows.append(f"{ident}\t{json.dumps(item['value'])}\t{item['label']}\t{item['about']}")
    return "\n".join(rows) + "\n"


def vocabulary_warnings(path, kb_dir=None):
    """[(field, word, known)]: free words in the assessment's context that seqplan could not
    use: unknown interests, avoid, team or settings words (``known`` False), or interests
    the vocabulary knows but no activity carries (``known`` True)."""
    from planner.intake.assessment import load_assessment
    from planner.kb.knowledge import load_knowledge_base
    from planner.reading.vocabulary import unrecognised

    kb = load_knowledge_base(kb_dir)
    path = assessment_path(path)
    if path.suffix.lower() == ".csv":       # one assessment per row: the row names where
        from planner.intake.assessment import from_data
        from planner.intake.csvinput import read_rows

        return [(f"row {row}: {note['field']}", word, word in note["uncarried"]) for row, data in read_rows(path, kb)
                for note in unrecognised(from_data(data, kb=kb), kb) for word in note["unmatched"]]
    return [(note["field"], word, word in note["uncarried"]) for note in unrecognised(load_assessment(path, kb), kb)
            for word in note["unmatched"]]


def vocabulary_readings(path, kb_dir=None):
    """[(field, written, read as)]: free words seqplan read as a close vocabulary word
    (a misspelling: "drumms" as "music"), and [(field, written)] specific things noted to avoid
    that no activity involves ("loud hand dryers"), so the user can check both."""
    from planner.intake.assessment import load_assessment
    from planner.kb.knowledge import load_knowledge_base
    from planner.reading.vocabulary import unrecognised

    kb = load_knowledge_base(kb_dir)
    notes = unrecognised(load_assessment(assessment_path(path), kb), kb)
    return ([(n["field"], c["written"], c["read_as"]) for n in notes for c in n["corrected"]],
            [(n["field"], w) for n in notes for w in n["noted"]])


def plan_batch(inputs, outdir, fmt="md", jobs=None, redact=False, kb_dir=None, progress=False, overwrite=False,
               on=None):
    """Plan every assessment among ``inputs`` (files, directories of them, CSV files) into
    ``outdir`` with ``jobs`` processes; also writes ``errors``, ``caseload.json``,
    ``caseload.html`` and ``caseload.csv`` there, with reviews overdue and due soon as of
    the date ``on`` (default: today). A non-empty ``outdir`` is refused unless ``overwrite``
    and it holds only a previous batch's output, which is then replaced whole.
    Returns a ``planner.caseload.batch.BatchResult``."""
    from planner.caseload.batch import run_batch

    return run_batch(inputs, outdir, fmt, jobs, redact, kb_dir, progress, overwrite, on)


def blank_assessment(fmt="yaml", kb_dir=None):
    """A blank assessment (yaml or csv) with every function id and its rating guidance."""
    from planner.caseload.template import blank_assessment as blank
    from planner.kb.knowledge import load_knowledge_base

    return blank(load_knowledge_base(kb_dir), fmt)


def handout_file(path, reader, fmt="md", redact=False, kb_dir=None):
    """A one-page handout for a caregiver or a teacher (``reader``), Markdown or HTML."""
    from planner.outputs.render import render_handout

    return render_handout(plan_for(path, kb_dir, redact), reader, fmt)


def whatif_report(path, sets, fmt="md", kb_dir=None):
    """What changes in the plan for ``path`` if the ``sets`` edits (``["sleep=9",
    "current.arousal=calm"]`` or ``{"sleep": 9}``) were made; the file is not touched."""
    from planner.kb.knowledge import load_knowledge_base
    from planner.trainer.whatif import render, whatif

    report, _, _ = whatif(assessment_path(path), sets, load_knowledge_base(kb_dir))
    return render(report, fmt)


def steps_text(path, layer=None, fmt="md", kb_dir=None):
    """The reasoning for ``path`` layer by layer (one layer with ``layer``), Markdown or JSON."""
    from planner.trainer.steps import render

    return render(plan_for(path, kb_dir), layer, fmt)


def list_vignettes():
    """[(name, one-line description, what it teaches)] of the bundled teaching vignettes."""
    from planner.intake.examples import describe, vignette_note, vignette_paths

    return [(name, describe(path), (vignette_note(name) or {}).get("teaches", ""))
            for name, path in vignette_paths().items()]


def vignette_note_text(name, fmt="md"):
    """The teaching note of vignette ``name``, rendered (Markdown) or as JSON."""
    import json

    from planner.errors import InputError
    from planner.intake.examples import vignette_note, vignette_paths

    note = vignette_note(name) if name in vignette_paths() else None
    if note is None:
        from planner.intake.assessment import suggest

        raise InputError("seqplan vignettes", name, "no such teaching vignette",
                         suggest(name, vignette_paths()) or f"available: {', '.join(vignette_paths())}")
    if fmt == "json":
        return json.dumps(note, indent=2, ensure_ascii=False) + "\n"
    from planner import templating

    return templating.text().get_template("trainer-vignette.md.j2").render(name=name, note=note)


# --- The case record (planner.record): every function takes ``db`` (a path or URL; default
# $SEQPLAN_DB or ./seqplan-record.db) and ``by`` (who acts; default $SEQPLAN_USER or the login).

def open_record(db=None, kb_dir=None):
    """The case record at ``db``, migrated on first use (a ``planner.record.store.Record``)."""
    from planner.kb.knowledge import load_knowledge_base
    from planner.record.store import Record

    return Record(db, load_knowledge_base(kb_dir))


def record_add(paths, db=None, by=None, kb_dir=None):
    """Store the assessments in ``paths`` (YAML, JSON or CSV): all or none. One line each."""
    return open_record(db, kb_dir).add(paths, by)


def record_plan(child, db=None, by=None, kb_dir=None):
    """Plan the child's latest assessment and store it as a draft: (plan id, new?)."""
    return open_record(db, kb_dir).plan(child, by)


def record_decide(plan, step, action, activity=None, reason=None, note="", db=None, by=None, kb_dir=None):
    """Record a decision (accept, drop, replace, add, defer) about a step of a draft plan; its id."""
    return open_record(db, kb_dir).decide(plan, step, action, activity, reason, note, by)


def record_sign(plan, role, db=None, by=None, kb_dir=None):
    """Sign a plan with its decisions; the signature's id."""
    return open_record(db, kb_dir).sign(plan, role, by)


def record_void(kind, ident, reason, note="", db=None, by=None, kb_dir=None):
    """Void an assessment, plan or decision entered in error (it stays, marked); the void's id."""
    return open_record(db, kb_dir).void(kind, ident, reason, note, by)


def record_show(child, db=None, by=None, kb_dir=None):
    """The child's case record in time order, as text (an audited read)."""
    from planner import templating
    from planner.record.views import timeline

    return templating.text().get_template("record-show.md.j2").render(t=timeline(open_record(db, kb_dir), child, by))


def record_due(weeks=4, today=None, db=None, by=None, fmt="text", kb_dir=None):
    """Reviews due within ``weeks`` and overdue across the caseload, overdue first (text or JSON)."""
    import datetime as dt
    import json

    from planner import templating

    today = today or dt.date.today()
    due = open_record(db, kb_dir).due(weeks, today, by)
    if fmt == "json":
        return json.dumps(due, indent=2) + "\n"
    return templating.text().get_template("record-due.md.j2").render(due=due, horizon=today + dt.timedelta(weeks=weeks))


def record_export(child, db=None, by=None, redact=False, kb_dir=None, fmt="json"):
    """Everything stored about one child as JSON, or (``fmt`` fhir) the child's current plan
    as decided and signed, as a FHIR R4 Bundle (an audited read)."""
    from planner.record.views import current_plan, export, printed

    record = open_record(db, kb_dir)
    if fmt == "fhir":
        return printed(record, current_plan(record, child, by), "fhir", by=by)
    return export(record, child, by, redact)


def record_print(plan, fmt="md", audience="therapist", reader=None, db=None, by=None, kb_dir=None):
    """A stored plan with the clinician's decisions and signature (or its handout for ``reader``)."""
    from planner.record.views import printed

    return printed(open_record(db, kb_dir), plan, fmt, audience, reader, by)


def record_verify(db=None, kb_dir=None):
    """(intact?, report lines): the audit chain and every stored row checked."""
    return open_record(db, kb_dir).verify()


def record_reproduce(plan, db=None, by=None, kb_dir=None):
    """(reproduced?, report lines): re-plan a stored plan from its stored input, byte for byte."""
    return open_record(db, kb_dir).reproduce(plan, by)


def record_reasons(kb_dir=None):
    """[(code, code system, label)] of the active override reasons a decision may carry."""
    from planner.kb.knowledge import load_knowledge_base
    from planner.record.decisions import codes

    reasons = codes(load_knowledge_base(kb_dir))["reasons"]
    return [(code, r["url"], r["label"]) for code, r in reasons.items() if r["status"] == "active"]


# --- CDS Hooks (planner.cds): seqplan as a decision-support service inside an EHR

def cds_discovery():
    """The CDS Hooks discovery document (GET /cds-services)."""
    from planner.cds.service import discovery

    return discovery()


def cds_call(service_id, body, db=None, report_url=None, kb_dir=None):
    """Answer a CDS Hooks call (a dict): the assessment in its prefetch is stored and
    planned in the case record at ``db``; returns {"cards": [...]}."""
    from planner.cds.service import call

    return call(service_id, body, open_record(db, kb_dir), report_url)


def cds_feedback(service_id, body, db=None, kb_dir=None):
    """Store CDS Hooks feedback: step cards accepted or overridden become decisions; their ids."""
    from planner.cds.service import feedback

    return feedback(service_id, body, open_record(db, kb_dir))


# --- The web app's logins, and the case record as one logged-in user works with it (the
# pages of `seqplan serve --db`): ``user`` is {name, role}; planner.record.users has the roles.

def open_desk(user, db=None, kb_dir=None):
    """The case record as ``user`` may see and change it (a ``planner.record.desk.Desk``):
    every method checks the role and the caseload, and reads in the user's name."""
    from planner.record.desk import Desk

    return Desk(open_record(db, kb_dir), user)


def users_add(name, role, password, db=None, by=None):
    """Add a login to the web app (argon2id hash); its id."""
    from planner.record.users import add_user

    return add_user(open_record(db), name, role, password, by)


def users_list(db=None):
    """[{name, role, locked_until, added_at, added_by}] of the web app's logins."""
    from planner.record.db import engine_for
    from planner.record.users import list_users

    return list_users(engine_for(db))


def users_login(name, password, db=None):
    """{name, role} if the password is right and the login not locked; else ``LoginRefused``."""
    from planner.record.db import engine_for
    from planner.record.users import authenticate

    return authenticate(engine_for(db), name, password)


def users_get(name, db=None):
    """{name, role} of a login, or None."""
    from planner.record.db import engine_for
    from planner.record.users import get_user

    return get_user(engine_for(db), name)


def users_exist(db=None):
    """Whether the record has any login (then the web app asks everyone to log in)."""
    from planner.record.db import engine_for
    from planner.record.users import has_users

    return has_users(engine_for(db))


# --- For programs that hold assessments and plans in memory (the web page is one) ----------
# Each is its stage's own function, imported on first use (``seqplan --help`` loads none of
# them); a service layer over seqplan imports from planner.api only. name -> (module, name there)
EXPORTS = {
    "load_knowledge_base": ("planner.kb.knowledge", "load_knowledge_base"),
    "load_assessment": ("planner.intake.assessment", "load_assessment"),
    "parse_assessment": ("planner.intake.assessment", "parse"),
    "assessment_from_data": ("planner.intake.assessment", "from_data"),
    "assessment_problems": ("planner.intake.assessment", "validation_errors"),
    "assessment_schema": ("planner.intake.assessment", "_schema"),
    "bundled_paths": ("planner.intake.examples", "bundled_paths"),
    "example_paths": ("planner.intake.examples", "example_paths"),
    "vignette_paths": ("planner.intake.examples", "vignette_paths"),
    "vignette_note": ("planner.intake.examples", "vignette_note"),
    "describe_bundled": ("planner.intake.examples", "describe"),
    "make_plan": ("planner.plans.planning", "make_plan"),
    "render_plan": ("planner.outputs.render", "render_plan"),
    "render_map": ("planner.outputs.render", "render_map"),
    "render_handout": ("planner.outputs.render", "render_handout"),
    "explain_plan": ("planner.plans.explanation", "explain"),
    "render_how": ("planner.plans.why", "render_how"),
    "render_why_not": ("planner.plans.why", "render_why_not"),
    "step_layers": ("planner.trainer.steps", "layers"),
    "parse_sets": ("planner.trainer.edits", "parse_sets"),
    "apply_sets": ("planner.trainer.edits", "apply_sets"),
    "edit_list": ("planner.trainer.edits", "edit_list"),
    "whatif_data": ("planner.trainer.whatif", "whatif_data"),
    "edited_plan": ("planner.trainer.whatif", "edited_plan"),
    "plan_mapping": ("planner.trainer.whatif", "plan_mapping"),
    "plan_summary": ("planner.trainer.whatif", "summary"),
    "compare_summaries": ("planner.trainer.whatif", "compare"),
    "RecordError": ("planner.record.db", "RecordError"),
    "RECORD_ENV_VAR": ("planner.record.db", "ENV_VAR"),
    "Forbidden": ("planner.record.users", "Forbidden"),
    "LoginRefused": ("planner.record.users", "LoginRefused"),
    "role_rights": ("planner.record.users", "rights"),
    "acting_user": ("planner.record.store", "who"),
    "CASELOAD_FILTERS": ("planner.record.caseload", "FILTERS"),
    "CdsError": ("planner.cds.service", "CdsError"),
}


def __getattr__(name):
    """``from planner.api import render_plan``: one of EXPORTS, imported when first asked for."""
    if name not in EXPORTS:
        raise AttributeError(f"module 'planner.api' has no attribute '{name}'")
    import importlib

    module, attribute = EXPORTS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
