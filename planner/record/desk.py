"""The case record as one logged-in user works with it (the web app's pages): every method
checks the user's role and caseload first, then calls the store or its views with the user
as ``by``, so every read is an audit event in that user's name. Returns plain data for a
template; words live in planner/web/templates."""
from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from planner.record import caseload as cl
from planner.record.store import label, parse_id
from planner.record.users import Forbidden

UPLOADS = (".yaml", ".yml", ".json", ".csv")
MAX_NAME = 200          # bytes of an uploaded file's name (written to a temporary folder: at most 255)
FORM_SOURCE = "form"
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def form_mapping(fields):
    """An assessment mapping from a form's fields named by their path (``functioning.sleep``,
    ``client.age_years``): empty fields are left out, numbers read as numbers, the context
    lists split at commas. Anything else stays text, so validation names the field."""
    data = {"format": "seqplan/assessment-1"}
    for name, value in fields.items():
        value = value.strip()
        if not value or name == "csrf":
            continue
        path = name.split(".")
        if path[0] == "context" and len(path) > 1 and path[1] != "notes":
            value = [v.strip() for v in value.split(",") if v.strip()]
        elif path[0] == "functioning" or path[-1] in ("age_years", "relational_health"):
            value = (float(value) if "." in value else int(value)) if NUMBER.fullmatch(value) else value
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):       # a field inside one that holds a value (sleep.x)
                raise FormFieldError(name)
        node[path[-1]] = value
    return data


class FormFieldError(ValueError):
    """A form field named inside another field that holds a value (not a field of the form)."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


class Desk:
    """``user`` ({name, role}) at the case record ``record``."""

    def __init__(self, record, user):
        self.record, self.user, self.by = record, user, user["name"]

    def caseload(self, **options):
        return cl.caseload(self.record, self.user, **options)

    def caseload_csv(self, **options):
        from planner.outputs.spreadsheet import csv_text

        return csv_text(cl.COLUMNS, self.caseload(**options))

    # --- one child -------------------------------------------------------------------------

    def child(self, child_ref):
        """The child page: timeline, the trend of region means, relational health and state,
        the latest objectives' attainment, and the first and latest brain maps."""
        from planner.outputs.render import render_map, render_trend
        from planner.plans.plan import Plan
        from planner.record.views import timeline

        cl.check_child(self.record, self.user, "read", child_ref)
        data = timeline(self.record, child_ref, self.by)
        kb = self.record.kb
        by_assessment = {}
        for e in data["entries"]:      # the latest live plan of each assessment
            if e["kind"] == "plan" and not e["row"]["voided"]:
                by_assessment[e["row"]["assessment_id"]] = json.loads(e["row"]["plan_json"])
        plans = sorted(by_assessment.values(), key=lambda p: p["assessed_on"])
        points = [{"assessed_on": p["assessed_on"], "relational_health": p["state"]["relational_health"],
                   "arousal": p["state"]["arousal"],
                   "regions": [{k: r[k] for k in ("id", "label", "mean", "band")} for r in p["regions"]]}
                  for p in plans]
        report = {"series": {"assessments": points}}
        trend = render_trend(report, kb) if points else None
        shown = [(plans[0], "first")] + ([(plans[-1], "latest")] if len(plans) > 1 else []) if plans else []
        maps = [{"which": which, "assessed_on": p["assessed_on"], "svg": render_map(Plan.stored(p, kb), which + "-")}
                for p, which in shown]
        latest = plans[-1] if plans else {}
        return dict(data, points=points, trend=trend, maps=maps,
                    attainment=latest.get("attainment", []), objectives=latest.get("objectives", []),
                    name=(latest.get("client") or {}).get("name", ""),
                    may=self.may(), users=self._users() if "assign" in self.may() else [])

    def may(self):
        from planner.record.users import rights

        return rights(self.user)["may"]

    def _users(self):
        from planner.record.users import list_users

        return [u["name"] for u in list_users(self.record.engine) if u["role"] in ("therapist", "supervisor")]

    def assign(self, child_ref, clinician, action="assign"):
        return cl.assign(self.record, self.user, child_ref, clinician, action)

    # --- adding assessments ---------------------------------------------------------------

    def form(self):
        """What the assessment form asks: the functions by region, bottom-up, with their
        rating guidance; the arousal states; the rating scale."""
        from planner.intake.assessment import _schema
        from planner.record.users import require

        require(self.user, "write")
        kb = self.record.kb
        regions = sorted(kb.regions.values(), key=lambda r: r["order"])
        return {"regions": [dict(r, functions=[f for f in kb.functions.values() if f["region"] == r["id"]])
                            for r in regions],
                "arousal": _schema()["properties"]["current"]["properties"]["arousal"]["enum"],
                "scale_max": kb.parameter_values["rating_scale_max"]}

    def add_form(self, fields):
        """([problems], plan id or None): store and plan the assessment typed into the form,
        or every problem with it (each an InputError naming its field)."""
        from planner.intake.assessment import from_data, validation_errors

        from planner.errors import InputError

        try:
            mapping = form_mapping(fields)
        except FormFieldError as exc:
            return [InputError(FORM_SOURCE, exc.name, "is not a field of this form",
                               "send the form as the page shows it")], None
        problems = validation_errors(mapping, FORM_SOURCE, "", self.record.kb)
        if problems:
            return problems, None
        return [], self._store([(FORM_SOURCE, from_data(mapping, FORM_SOURCE, kb=self.record.kb))])

    def add_upload(self, filename, raw):
        """([problems], plan id or None) for an uploaded file (YAML, JSON, or CSV: one
        assessment per row); the record names the file as uploaded."""
        from planner.intake.validation import validate_file
        from planner.errors import InputError
        from planner.record.store import _assessments

        name = Path(filename or "").name
        if any(ord(c) < 32 or c == "\x7f" for c in name) or len(name.encode("utf-8", "surrogatepass")) > MAX_NAME:
            return [InputError("upload", None, f"has a name seqplan cannot keep (1 to {MAX_NAME} bytes, "
                                               "no control characters)", "rename the file and upload it again")], None
        if Path(name).suffix.lower() not in UPLOADS:
            return [InputError(name or "upload", None, "is not a YAML, JSON or CSV file",
                               "upload a .yaml, .json or .csv assessment")], None
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(raw)
            problems = validate_file(path)
            if problems:
                return problems, None
            return [], self._store(_assessments(path, self.record.kb, f"{name} (uploaded by {self.by})"))

    def _store(self, found):
        """Store the assessments and plan each child as a draft: the id of the last plan."""
        from planner.record.db import RecordError
        from planner.record.users import require

        require(self.user, "write")
        for ref in {a.client_id for _, a in found}:
            try:
                cl.check_child(self.record, self.user, "write", ref)
            except Forbidden:
                if cl.child_exists(self.record, ref):
                    raise RecordError(f"{ref}: is another clinician's child (ask a supervisor to assign it to you)")
        self.record.add_assessments(found, self.by)
        return [self.record.plan(ref, self.by)[0] for ref in sorted({a.client_id for _, a in found})][-1]

    # --- a plan ---------------------------------------------------------------------------

    def _check_plan(self, plan_ref, action):
        cl.check_child(self.record, self.user, action, cl.child_of_plan(self.record, plan_ref))

    def review(self, plan_ref):
        """The plan review page: each advised step with its latest decision, the plan as
        decided, the code set, the catalogue to replace or add from, the signature."""
        from planner.record.decisions import codes
        from planner.record.views import decided_plan

        self._check_plan(plan_ref, "read")
        row, plan = decided_plan(self.record, plan_ref, self.by, purpose="review")
        marks = {d["step"]: d for d in plan["decisions"] if d["step"]}
        advised = json.loads(row.plan_json)
        table = codes(self.record.kb)
        return {"id": label("plan", row.id), "child": row.ref, "plan": plan, "advised": advised["steps"],
                "marks": marks, "added": [d for d in plan["decisions"] if not d["step"]],
                "signed": plan["signed"], "actions": table["actions"], "roles": table["roles"],
                "reasons": {c: r for c, r in table["reasons"].items() if r["status"] == "active"},
                "activities": sorted(((a, v["name"]) for a, v in self.record.kb.activities.items()),
                                     key=lambda kv: kv[1]),
                "may": self.may(), "review_due": row.review_due}

    def decide(self, plan_ref, step, action, activity=None, reason=None, note=""):
        self._check_plan(plan_ref, "write")
        return self.record.decide(plan_ref, step or None, action, activity or None, reason or None, note or "", self.by)

    def sign(self, plan_ref, role):
        self._check_plan(plan_ref, "sign")
        return self.record.sign(plan_ref, role, self.by)

    def print(self, plan_ref, fmt="html", reader=None):
        from planner.record.views import printed

        self._check_plan(plan_ref, "read")
        return printed(self.record, plan_ref, fmt, "therapist", reader, self.by)

    # --- auditing -------------------------------------------------------------------------

    def audit(self, child_ref):
        """The audit page: the child's events, the whole record's verify, its plans."""
        events = cl.events(self.record, self.user, child_ref)
        intact, lines = self.record.verify()
        plans = sorted({e["target_id"] for e in events if e["kind"] == "plan" and e["action"] == "plan"})
        return {"child": child_ref, "events": events, "intact": intact, "verify": lines,
                "plans": [label("plan", p) for p in plans]}

    def reproduce(self, plan_ref):
        self._check_plan(plan_ref, "audit")
        return self.record.reproduce(plan_ref, self.by) + (label("plan", parse_id("plan", plan_ref)),)
