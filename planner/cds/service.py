"""The CDS Hooks service behind `seqplan serve`'s /cds-services (planner/web/cds.py is the
thin HTTP layer). Words and codes are in templates/cds.yaml.

A hook call stores the assessment it carries in the case record, plans it (a draft), and
answers with cards: safety first, then where the plan starts, then one card per first step.
Each card's uuid is derived from the stored plan and the step, and the call is an audit
event that remembers which card is which, so feedback (accepted, or overridden with a coded
reason) becomes the decision about that step, by the user the hook named.
"""
from __future__ import annotations

import json
import uuid
from functools import lru_cache

from planner.errors import SeqplanError

NAMESPACE = uuid.UUID("6d1c5a8e-3f0b-5c7e-9d2a-4b8e1f7a0c35")


class CdsError(SeqplanError):
    """A request the service cannot use: an HTTP status and a one-line message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


@lru_cache(maxsize=1)
def words():
    import yaml

    from planner.resources import data_dir

    return yaml.safe_load((data_dir("templates") / "cds.yaml").read_text("utf-8"))


def discovery():
    """GET /cds-services."""
    service = words()["service"]
    return {"services": [{key: service[key] for key in ("hook", "title", "description", "id", "prefetch")}]}


def _service(service_id):
    if service_id != words()["service"]["id"]:
        raise CdsError(404, f"no CDS service '{service_id}' (GET /cds-services lists them)")


# --- the hook ----------------------------------------------------------------------------------

def call(service_id, body, record, report_url=None):
    """POST /cds-services/{id}: cards for the assessment in ``body``'s prefetch."""
    from planner.intake.assessment import from_data
    from planner.plans.plan import Plan

    _service(service_id)
    if not isinstance(body, dict) or body.get("hook") != words()["service"]["hook"]:
        raise CdsError(400, f"hook: this service answers '{words()['service']['hook']}'")
    instance, context = body.get("hookInstance"), body.get("context")
    if not isinstance(instance, str) or not isinstance(context, dict) or not isinstance(context.get("patientId"), str):
        raise CdsError(400, "a hook call needs hookInstance and context.patientId")
    given = (body.get("prefetch") or {}).get("assessment") if isinstance(body.get("prefetch"), dict) else None
    if not isinstance(given, dict):
        raise CdsError(412, "prefetch.assessment is missing: this service does not query the FHIR server itself")
    user = context.get("userId") if isinstance(context.get("userId"), str) else words()["feedback"]["unknown_user"]
    mapping = assessment_from_response(given, context["patientId"]) \
        if given.get("resourceType") == "QuestionnaireResponse" else given
    assessment = from_data(mapping, "prefetch.assessment", kb=record.kb,
                           more="send every problem fixed; `seqplan validate` lists them all")
    record.add_assessments([(f"CDS Hooks {instance[:80]}", assessment)], by=user)
    plan_id, _ = record.plan(assessment.client_id, by=user)
    row, _decisions, _signature, child = record.stored_plan(plan_id, by=user, purpose="cds hook")
    plan = Plan.stored(json.loads(row.plan_json), record.kb)
    cards = _cards(plan, row, context["patientId"], record, report_url)
    record.event(user, "cds-cards", child, "plan", plan_id,
                 {"hookInstance": instance, "cards": {c["uuid"]: step for c, step in cards}})
    return {"cards": [c for c, _ in cards]}


def assessment_from_response(response, patient_id):
    """A QuestionnaireResponse in the shape of seqplan's FHIR export as an assessment
    mapping: each item's linkId is the field's path (``functioning.sleep``)."""
    from planner.intake.assessment import FORMAT

    data = {"format": FORMAT, "client": {"id": patient_id}, "assessed_on": str(response.get("authored", ""))[:10]}

    def put(path, value):
        *parents, last = path.split(".")
        holder = data
        for name in parents:
            holder = holder.setdefault(name, {})
            if not isinstance(holder, dict):
                raise CdsError(422, f"QuestionnaireResponse: item '{path}' does not fit under '{name}'")
        holder[last] = value

    def walk(items):
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("linkId"), str):
                raise CdsError(422, "QuestionnaireResponse: every item needs a linkId")
            for answer in item.get("answer") or []:
                put(item["linkId"], _answer(answer, item["linkId"]))
            walk(item.get("item"))

    walk(response.get("item"))
    return data


def _answer(answer, link):
    for key in ("valueInteger", "valueDecimal", "valueString", "valueBoolean", "valueDate"):
        if isinstance(answer, dict) and key in answer:
            return answer[key]
    if isinstance(answer, dict) and isinstance(answer.get("valueCoding"), dict):
        return answer["valueCoding"].get("code")
    raise CdsError(422, f"QuestionnaireResponse: item '{link}': an answer seqplan cannot read")


def _cards(plan, row, patient_id, record, report_url):
    """[(card, step id or None)]: safety, the plan, then each step of the first phase."""
    from planner.outputs.view import first_cautions

    w, kb = words(), record.kb
    source = {"label": w["source"]["label"].format(seqplan_version=plan.seqplan_version, kb_version=plan.kb["version"]),
              "topic": w["source"]["topic"]}
    reasons = _override_reasons(kb)
    cards = []
    for caution in first_cautions(plan):
        if caution["caution"] != "plausibility":
            cards.append(({"summary": _short(w["cards"]["safety"]["summary"].format(because=caution["because"])),
                           "indicator": w["cards"]["safety"]["indicator"], "detail": caution["because"],
                           "source": source}, None))
    first = [s for s in plan.steps if s["phase"] == plan.steps[0]["phase"]] if plan.steps else []
    text = w["cards"]["plan"]
    start = plan.start or {}
    summary = text["summary"].format(phase=kb.phases.get(start.get("phase"), {}).get("label", start.get("phase")),
                                     region=kb.label(start.get("region")), count=len(first)) if first \
        else text["summary_no_steps"].format(why=(plan.start or {}).get("because", ""))
    alarm = plan.state.get("arousal") in w["alarm_states"]
    card = {"summary": _short(summary), "indicator": text["indicator_when_alarm" if alarm else "indicator"],
            "detail": (start.get("because") or ""), "source": source, "overrideReasons": reasons,
            "suggestions": [{"label": text["suggestion"], "isRecommended": True,
                             "actions": [{"type": "create", "description": text["action"],
                                          "resource": _resource(plan, "CarePlan", None, patient_id)}]}]}
    if report_url:
        card["links"] = [{"label": text["link"], "url": report_url.format(plan=row.id), "type": "absolute"}]
    cards.append((card, None))
    step_words = w["cards"]["step"]
    for step in first:
        cards.append(({"summary": _short(step_words["summary"].format(id=step["id"], name=step["name"],
                                                                    frequency=step["dose"]["frequency"],
                                                                    minutes=step["dose"]["minutes"])),
                       "indicator": step_words["indicator"], "detail": step["because"], "source": source,
                       "overrideReasons": reasons,
                       "suggestions": [{"label": step_words["suggestion"].format(name=step["name"]),
                                        "actions": [{"type": "create",
                                                     "description": step_words["action"].format(name=step["name"]),
                                                     "resource": _resource(plan, None, step, patient_id)}]}]},
                      step["id"]))
    for card, step in cards:
        card["uuid"] = str(uuid.uuid5(NAMESPACE, f"{row.plan_digest}|{step or card['indicator'] + card['summary']}"))
        for n, suggestion in enumerate(card.get("suggestions", [])):
            suggestion["uuid"] = str(uuid.uuid5(NAMESPACE, f"{card['uuid']}|{n}"))
    return cards


def _resource(plan, kind, step, patient_id):
    """The plan's CarePlan, or a step's request (the resource of the RequestGroup action with
    the step's id), from the plan's FHIR export, about the EHR's own patient."""
    from planner.outputs.fhir import fhir_bundle

    bundle = fhir_bundle(plan)
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    patient = next(url for url, r in by_url.items() if r["resourceType"] == "Patient")
    if kind:
        resource = next(r for r in by_url.values() if r["resourceType"] == kind)
    else:
        group = next(r for r in by_url.values() if r["resourceType"] == "RequestGroup")
        action = next(a for phase in group["action"] for a in phase.get("action", []) if a.get("id") == step["id"])
        resource = by_url[action["resource"]["reference"]]
    return json.loads(json.dumps(resource).replace(json.dumps(patient), json.dumps(f"Patient/{patient_id}")))


def _override_reasons(kb):
    from planner.record.decisions import codes

    return [{"code": code, "system": r["url"], "display": r["label"]}
            for code, r in codes(kb)["reasons"].items() if r["status"] == "active"]


def _short(text):
    """A card summary under CDS Hooks' 140 characters, cut at a word."""
    limit, ellipsis = words()["summary_limit"], words()["ellipsis"]
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    return text[:limit - len(ellipsis)].rsplit(" ", 1)[0].rstrip(",;:") + ellipsis


# --- feedback --------------------------------------------------------------------------------------

def feedback(service_id, body, record):
    """POST /cds-services/{id}/feedback: each step card's outcome becomes a decision about
    that step (accept, or drop with the coded override reason and the user's comment); the
    plan card's outcome is an audit event. Returns the decisions recorded."""
    from planner.record.decisions import codes

    _service(service_id)
    entries = body.get("feedback") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CdsError(400, "feedback: a list of {card, outcome} entries is needed")
    w, reasons, recorded = words()["feedback"], codes(record.kb)["reasons"], []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("outcome") not in ("accepted", "overridden") \
                or not isinstance(entry.get("card"), str):
            raise CdsError(400, "feedback: each entry needs a card uuid and an outcome (accepted or overridden)")
        try:
            card = str(uuid.UUID(entry["card"]))
        except ValueError:
            raise CdsError(400, "feedback: card is not a uuid") from None
        found = record.find_event("cds-cards", card)
        if found is None:
            raise CdsError(404, f"feedback: card {card} was not given by this service")
        plan_id, step, user = found["target_id"], json.loads(found["detail"])["cards"][card], found["actor"]
        reason, comment = _reason(entry, reasons)
        if step is None:
            record.event(user, "cds-feedback", found["child_ref"], "plan", plan_id,
                         {"card": card, "outcome": entry["outcome"], "reason": reason, "comment": comment})
            continue
        note = w["accepted_note" if entry["outcome"] == "accepted" else "overridden_note"]
        if comment:
            note = w["comment"].format(note=note, comment=comment)
        action = "accept" if entry["outcome"] == "accepted" else "drop"
        recorded.append(record.decide(plan_id, step, action, None, reason if action == "drop" else None, note,
                                      by=user))
    return recorded


def _reason(entry, reasons):
    """(code, user comment) of an override: the first reason must be one of the code set's."""
    given = entry.get("overrideReasons") or ([entry["overrideReason"]] if entry.get("overrideReason") else [])
    if entry["outcome"] == "accepted":
        return None, None
    first = given[0] if given and isinstance(given[0], dict) else {}
    coding = first.get("reason") if isinstance(first.get("reason"), dict) else {}
    code = coding.get("code")
    if code not in reasons or coding.get("system") != reasons[code]["url"]:
        raise CdsError(400, "feedback: an override needs overrideReasons[0].reason, a Coding from the card's "
                            "overrideReasons")
    comment = first.get("userComment")
    return code, comment if isinstance(comment, str) else None
