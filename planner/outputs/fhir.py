"""Plan model -> FHIR R4 Bundle (type collection), for a clinic's electronic health record.

Built from the ``Plan`` alone (its published fields and the knowledge base's labels), so the
bundle says what the JSON plan says, in FHIR's Clinical Reasoning shape: a draft CarePlan
whose activity is a RequestGroup of phases in order, each step a request with its why.
Codes and fixed words come from ``templates/fhir-r4.yaml`` (docs/fhir.md describes the
mapping). Ids are uuid5 of the plan's digests and a local key, and nothing is stamped at
export time, so the same input and knowledge base give byte-identical JSON.
"""
from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from functools import lru_cache


@lru_cache(maxsize=1)
def fhir_mapping():
    """The export's codes, systems and words (``templates/fhir-r4.yaml``)."""
    import yaml

    from planner.resources import data_dir

    return yaml.safe_load((data_dir("templates") / "fhir-r4.yaml").read_text("utf-8"))


def render_fhir(plan):
    """``plan`` as a FHIR R4 Bundle in JSON (two-space indent, fixed key order)."""
    return json.dumps(fhir_bundle(plan), indent=2, ensure_ascii=False) + "\n"


def fhir_bundle(plan):
    """``plan`` as a FHIR R4 Bundle (a dict)."""
    return _Export(plan).bundle()


def _coding(system, code, display=None):
    return {"system": system, "code": str(code), **({"display": display} if display else {})}


def _concept(system, code, text):
    return {"coding": [_coding(system, code, text)], "text": text}


class _Export:
    """One plan's bundle: the entries in the order they are made, each with a derived id."""

    def __init__(self, plan):
        self.plan, self.kb, self.m = plan, plan.knowledge, fhir_mapping()
        self.sys, self.codes, self.words = self.m["systems"], self.m["codes"], self.m["words"]
        self.seed = f"{plan.input_digest}|{plan.kb['digest']}"
        self.namespace = uuid.UUID(self.m["namespace"])
        self.entries = []
        self.assessed = plan.assessed_on
        weeks = (plan.review or {}).get("weeks")
        self.review_due = str(date.fromisoformat(self.assessed) + timedelta(weeks=weeks)) if weeks else None

    # --- ids and references ---
    def id(self, key):
        return str(uuid.uuid5(self.namespace, f"{self.seed}|{key}"))

    def url(self, key):
        return "urn:uuid:" + self.id(key)

    def ref(self, key, display=None):
        return {"reference": self.url(key), **({"display": display} if display else {})}

    def add(self, key, resource_type, body):
        """Append a resource; returns its key (for references to it)."""
        resource = {"resourceType": resource_type, "id": self.id(key), **body}
        self.entries.append({"fullUrl": self.url(key), "resource": resource})
        return key

    # --- the bundle ---
    def bundle(self):
        self.patient = self.add("Patient", "Patient", self._patient())
        self.device = self.add("Device", "Device", {
            "deviceName": [{"name": self.words["device"], "type": self.codes["device_name_type"]}],
            "version": [{"value": self.plan.seqplan_version}]})
        self.response = self.add("QuestionnaireResponse", "QuestionnaireResponse", self._response())
        observations = self._observations()
        goals = self._goals()
        request_group = self.add("RequestGroup", "RequestGroup", self._request_group())
        activities = [{"reference": self.ref(request_group)}] + self._deferred_activities() + self._exclusions()
        self.add("CarePlan", "CarePlan", self._care_plan(observations, goals, activities))
        if self.plan.review:
            self.add("Task/review", "Task", self._review())
        self._provenance()
        return {"resourceType": "Bundle", "id": self.id("Bundle"),
                "type": self.codes["bundle_type"], "entry": self.entries}

    def subject(self):
        return {"subject": self.ref(self.patient)}

    def _patient(self):
        client = self.plan.client
        body = {"identifier": [{"system": self.sys["client"], "value": str(client["id"])}]}
        if client.get("name"):          # absent from a redacted plan
            body["name"] = [{"text": client["name"]}]
        return body

    # --- the assessment ---
    def _response(self):
        plan, items = self.plan, []
        items.append({"linkId": "client.age_years", "text": self.words["age_years"],
                      "answer": [{"valueDecimal": plan.client["age_years"]}]})
        for region in plan.regions:
            for function in region["functions"]:
                if function.get("score") is not None:
                    items.append({"linkId": f"functioning.{function['id']}", "text": function["label"],
                                  "answer": [{"valueInteger": function["score"]}]})
        for key, value in self._states():
            answer = {"valueInteger": value} if key == "relational_health" else \
                {"valueCoding": _coding(self.sys[key], value)}
            items.append({"linkId": f"current.{key}", "text": self.words[key], "answer": [answer]})
        for period in plan.history:
            items.append({"linkId": f"history.{period['period']}", "text": period["label"], "item": [
                {"linkId": f"history.{period['period']}.{measure}", "text": self.words[measure],
                 "answer": [{"valueInteger": period[measure]}]} for measure in ("adversity", "relational_poverty")]})
        body = {"status": self.codes["response_status"], **self.subject(), "authored": self.assessed}
        if plan.assessor:               # None when redacted or not recorded
            body["author"] = {"display": plan.assessor}
        body["item"] = items
        return body

    def _states(self):
        """(key, value) of the recorded current state, in the plan's order."""
        return [(k, v) for k, v in self.plan.state.items() if v is not None]

    def _observation(self, key, code, value, interpretation=None, members=()):
        body = {"status": self.codes["observation_status"],
                "category": [{"coding": [dict(self.codes["observation_category"])]}],
                "code": code, **self.subject(), "effectiveDateTime": self.assessed, **value}
        if interpretation:
            body["interpretation"] = [interpretation]
        if members:
            body["hasMember"] = [self.ref(k) for k in members]
        body["derivedFrom"] = [self.ref(self.response)]
        return self.add(key, "Observation", body)

    def _band(self, band):
        return _concept(self.sys["band"], band, self.kb.bands[band]["label"]) if band in self.kb.bands else None

    def _observations(self):
        """Observation keys: per rated function, per region (its functions as members), then state."""
        out = []
        for region in self.plan.regions:
            members = [self._observation(f"Observation/function/{f['id']}",
                                         _concept(self.sys["function"], f["id"], f["label"]),
                                         {"valueInteger": f["score"]}, self._band(f.get("band")))
                       for f in region["functions"] if f.get("score") is not None]
            value = {"valueQuantity": {"value": region["mean"]}} if region.get("mean") is not None else {}
            out.extend(members)
            out.append(self._observation(f"Observation/region/{region['id']}",
                                         _concept(self.sys["region"], region["id"], region["label"]), value,
                                         self._band(region.get("band")), members))
        for key, value in self._states():
            code = _concept(self.sys["state"], key, self.words[key])
            value = {"valueInteger": value} if key == "relational_health" else \
                {"valueCodeableConcept": {"coding": [_coding(self.sys[key], value)]}}
            out.append(self._observation(f"Observation/state/{key}", code, value))
        return out

    # --- goals ---
    def _goals(self):
        keys = []
        for objective in self.plan.objectives:
            about = objective["about"]
            system = self.sys["function"] if about in self.kb.functions else self.sys["state"]
            target = {"measure": _concept(system, about, objective["label"])}
            value = objective["target"]
            target["detailInteger" if isinstance(value, int) else "detailString"] = value
            target["dueDate"] = objective["due"]
            keys.append(self.add(f"Goal/{objective['id']}", "Goal", {
                "identifier": [{"system": self.sys["goal"], "value": objective["id"]}],
                "lifecycleStatus": self.codes["goal_status"],
                "category": [{"coding": [_coding(self.sys["goal"], objective["goal"])]}],
                "description": {"text": objective["because"]}, **self.subject(), "target": [target]}))
        for index, goal in enumerate(self.plan.goals, 1):
            keys.append(self.add(f"Goal/plan/{index}", "Goal", {
                "lifecycleStatus": self.codes["goal_status"],
                "category": [{"coding": [_coding(self.sys["goal"], goal["goal"])]}],
                "description": {"text": goal["because"]}, **self.subject()}))
        return keys

    # --- the steps, in phases ---
    def _documentation(self, item):
        """RelatedArtifacts: the rules behind ``item``, then the sources they cite (once each)."""
        docs = [{"type": self.codes["related_artifact_rule"], "label": rule,
                 "display": self.kb.rules[rule]["title"] if rule in self.kb.rules else rule} for rule in item["rules"]]
        for citation in dict.fromkeys(item.get("sources", ())):
            source = self.kb.sources.get(citation.partition("#")[0], {})
            docs.append({"type": self.codes["related_artifact_source"], "label": citation,
                         **({"citation": source["citation"]} if "citation" in source else {})})
        return docs

    def _roles(self, role_ids):
        from planner.kb.explain import readable_words, role_entry

        words, types = readable_words(self.kb), self.m["reference_types"]
        return [{"type": types.get(r, types["default"]), "display": role_entry(words, r)["label"]} for r in role_ids]

    def _timing(self, dose):
        """The step's dose as a Timing: times per day or week and minutes, from the knowledge
        base's dose of that frequency; its words as the Timing's text."""
        timing = {}
        kb_dose = next((d for d in self.kb.doses.values() if d["frequency"] == dose["frequency"]), None)
        if kb_dose:
            (low, high), (short, long) = kb_dose["times"], kb_dose["minutes"]
            repeat = {"duration": short, **({"durationMax": long} if long != short else {}),
                      "durationUnit": self.codes["duration_unit"], "frequency": low,
                      **({"frequencyMax": high} if high != low else {}),
                      "period": 1, "periodUnit": self.codes["period_units"][kb_dose["per"]]}
            timing["repeat"] = repeat
        timing["code"] = {"text": dose["because"]}
        return timing

    def _step_request(self, step):
        """A step as a CommunicationRequest (guidance to the adults of the child's daily life,
        when only they deliver it) or a ServiceRequest (with its timing, performers, settings)."""
        activity = _concept(self.sys["activity"], step["activity"], step["name"])
        dose, key = step["dose"], f"request/{step['id']}"
        category = [{"coding": [_coding(self.sys["category"], step["category"])]}]
        daily_life = set(self.kb.parameter_values.get("daily_life_roles", ()))
        if dose["who"] and set(dose["who"]) <= daily_life:       # R4's CommunicationRequest has no intent
            return self.add(key, "CommunicationRequest", {
                "status": self.codes["request_status"], "category": category, **self.subject(), "about": [{"display": step["name"]}],
                "payload": [{"contentString": step["description"]}, {"contentString": dose["because"]}],
                "occurrencePeriod": {"start": self.assessed, **({"end": self.review_due} if self.review_due else {})},
                "recipient": self._roles(dose["who"]),
                "reasonCode": [activity]})
        return self.add(key, "ServiceRequest", {
            "status": self.codes["request_status"], "intent": self.codes["plan_intent"], "category": category,
            "code": activity, **self.subject(), "occurrenceTiming": self._timing(dose),
            "performer": self._roles(dose["who"]),
            "locationCode": [_concept(self.sys["setting"], s, self.kb.label(s)) for s in dose["where"]]})

    def _deferred_request(self, item):
        return self.add(f"request/deferred/{item['activity']}", "ServiceRequest", {
            "status": self.codes["deferred_status"], "intent": self.codes["plan_intent"],
            "code": _concept(self.sys["activity"], item["activity"], item["name"]), **self.subject(),
            "reasonCode": [{"coding": [_coding(self.sys["rule"], g["rule"])], "text": g["because"]}
                           for g in item["gates"]] or [{"text": item["because"]}]})

    def _action(self, item, request, action_id):
        """A step or deferral as a RequestGroup action: title, why (CPG rationale), rules and sources, request."""
        action = {"id": action_id,
                  "extension": [{"url": self.m["rationale_extension"], "valueMarkdown": item["because"]}],
                  "title": item["name"]}
        if item.get("description"):
            action["description"] = item["description"]
        action["documentation"] = self._documentation(item)
        action["resource"] = self.ref(request)
        return action

    def _request_group(self):
        phases = {}
        for step in self.plan.steps:
            phases.setdefault(step["phase"], []).append(self._action(step, self._step_request(step), step["id"]))
        for item in self.plan.deferred:
            action = self._action(item, self._deferred_request(item), "deferred-" + item["activity"].replace("_", "-"))
            condition = {"kind": self.codes["condition_kind"],
                         "expression": {"description": item["until"], "language": self.codes["condition_language"],
                                        "expression": item["until"]}}
            phases.setdefault(item["phase"], []).append({**action, "condition": [condition]})
        groups = []
        for phase in sorted(phases, key=lambda p: self.kb.phases[p]["order"]):
            group = {"id": f"phase-{phase}", "title": self.kb.phases[phase]["label"],
                     "description": self.kb.phases[phase]["about"],
                     "code": [_concept(self.sys["phase"], phase, self.kb.phases[phase]["label"])]}
            if groups:
                group["relatedAction"] = [{"actionId": groups[-1]["id"], "relationship": self.codes["phase_order"]}]
            groups.append({**group, "action": phases[phase]})
        return {**self.plan_state(), **self.subject(), "authoredOn": self.assessed,
                **({"action": groups} if groups else {})}

    def _deferred_activities(self):
        return [{"detail": {"kind": self.codes["deferred_kind"],
                            "code": _concept(self.sys["activity"], item["activity"], item["name"]),
                            "status": self.codes["deferred_status"], "statusReason": {"text": item["until"]},
                            "description": item["because"]}} for item in self.plan.deferred]

    def _exclusions(self):
        """Activities that fail one of the 6 Rs: requests not to do them, with each failure."""
        out = []
        for item in self.plan.excluded:
            key = self.add(f"request/excluded/{item['activity']}", "ServiceRequest", {
                "status": self.codes["request_status"], "intent": self.codes["plan_intent"], "doNotPerform": True,
                "code": _concept(self.sys["activity"], item["activity"], item["name"]), **self.subject(),
                "reasonCode": [{"coding": [_coding(self.sys["rule"], f["rule"])], "text": f["because"]}
                               for f in item["fails"]]})
            out.append({"reference": self.ref(key)})
        return out

    # --- the care plan, the review, provenance ---
    def _care_plan(self, observations, goals, activities):
        plan = self.plan
        body = {**self.plan_state(), "title": self.words["plan_title"]}
        if plan.start:
            body["description"] = plan.start["because"]
        body.update(self.subject())
        body["period"] = {"start": self.assessed, **({"end": self.review_due} if self.review_due else {})}
        body["created"] = self.assessed
        body["supportingInfo"] = [self.ref(self.response)] + [self.ref(k) for k in observations]
        if goals:
            body["goal"] = [self.ref(k) for k in goals]
        body["activity"] = activities
        if plan.cautions:
            body["note"] = [{"text": c["because"]} for c in plan.cautions]
        return body

    def _review(self):
        review = self.plan.review
        return {"status": self.codes["task_status"], "intent": self.codes["task_intent"],
                "code": {"text": self.words["review"]}, "description": review["because"],
                "focus": self.ref("CarePlan"), "for": self.ref(self.patient),
                "restriction": {"period": {"end": self.review_due}},
                "reasonCode": {"coding": [_coding(self.sys["rule"], r) for r in review["rules"]]}}

    def plan_state(self):
        """CarePlan and RequestGroup status and intent: a proposal, or the plan once a
        clinician signed it in the case record (a plan printed from it carries ``signed``)."""
        signed = "signed_" if self.plan.signed else ""
        return {"status": self.codes[f"{signed}plan_status"], "intent": self.codes[f"{signed}plan_intent"]}

    def _provenance(self):
        plan, digest = self.plan, self.sys["digest"]
        targets = [{"reference": e["fullUrl"]} for e in self.entries if e["resource"]["resourceType"] != "Device"]
        self.add("Provenance", "Provenance", {
            "target": targets, "recorded": f"{self.assessed}T00:00:00Z",
            "agent": [{"type": {"coding": [dict(self.codes["assembler"])]},
                       "who": self.ref(self.device, f"{self.words['device']} {plan.seqplan_version}")}]
            + ([{"type": {"coding": [dict(self.codes["verifier"])]},
                 "who": {"display": f"{plan.signed['by']} ({plan.signed['role_label']})"}}] if plan.signed else []),
            "entity": [
                {"role": self.codes["entity_role"],
                 "what": {"identifier": {"system": digest, "value": plan.input_digest}, "display": self.words["input"]}},
                {"role": self.codes["entity_role"],
                 "what": {"identifier": {"system": digest, "value": plan.kb["digest"]},
                          "display": f"{plan.kb['name']} {plan.kb['version']}"}}]
            + ([{"role": self.codes["entity_role"],       # absent from a plan stored before it was stamped
                 "what": {"identifier": {"system": digest, "value": plan.presentation["digest"]},
                          "display": self.words["presentation"]}}] if plan.presentation else [])})
