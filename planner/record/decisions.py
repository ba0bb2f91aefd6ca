"""The clinician's decisions about a plan: checked against the code set in the knowledge base
(knowledge_base/decisions.yaml), and laid over the stored plan when it is printed, so the
report and the handouts carry what was decided, beside what seqplan advised and why."""
from __future__ import annotations

import copy

from planner.record.db import RecordError

DECISIONS_FILE = "decisions.yaml"


def codes(kb):
    """The decision code set: actions, reason codes (by code), their systems, signing roles."""
    from planner.kb.explain import side_table

    table = side_table(kb, DECISIONS_FILE)
    return {"actions": table["actions"], "systems": table["systems"], "roles": table["roles"], "words": table["words"],
            "reasons": {r["code"]: dict(r, url=table["systems"][r["system"]]) for r in table["reasons"]}}


def check_reason(kb, reason, note, required):
    """A one-line error unless ``reason`` is an active code (or absent where allowed)."""
    reasons = codes(kb)["reasons"]
    if reason is None:
        if required:
            raise RecordError("--reason: an override needs a coded reason (one of: "
                              + ", ".join(c for c, r in reasons.items() if r["status"] == "active") + ")")
        return
    if reason not in reasons or reasons[reason]["status"] != "active":
        from planner.intake.assessment import suggest

        hint = suggest(reason, [c for c, r in reasons.items() if r["status"] == "active"])
        raise RecordError(f"--reason: '{reason}' is not a reason code ({hint or 'see `seqplan record reasons`'})")
    if reason == "clinical-judgement" and not (note or "").strip():
        raise RecordError("--note: clinical-judgement needs the judgement explained in a note")


def check_decision(kb, plan, plan_id, step, action, activity, reason, note):
    """The step id a decision is about (``step`` may name the step or its activity), after
    checking the decision makes sense for this plan; a one-line error otherwise."""
    spec = codes(kb)["actions"].get(action)
    if spec is None:
        raise RecordError(f"{action}: not a decision (one of: {', '.join(codes(kb)['actions'])})")
    check_reason(kb, reason, note, spec["needs_reason"])
    steps = {s["id"]: s for s in plan["steps"]}
    # an activity sent with any action must be in the catalogue: a decision stored with another
    # one (accept, activity "16") broke every later view of the plan
    if (spec["needs_activity"] or activity is not None) and activity not in kb.activities:
        from planner.intake.assessment import suggest

        raise RecordError(f"activity '{activity}': not in the catalogue "
                          f"({suggest(str(activity), kb.activities) or 'see `seqplan kb list activities`'})")
    if action == "add":
        if activity in {s["activity"] for s in plan["steps"]}:
            raise RecordError(f"{activity}: is a step of P{plan_id} already (decide about that step instead)")
        return None
    by_activity = {s["activity"]: s["id"] for s in plan["steps"]}
    found = step if step in steps else by_activity.get(step)
    if found is None:
        raise RecordError(f"step '{step}': P{plan_id} has no such step (its steps: {', '.join(steps) or 'none'})")
    if action == "replace" and activity == steps[found]["activity"]:
        raise RecordError(f"{activity}: is what {found} already is (accept it instead)")
    return found


def decided(plan, decisions, signature, kb):
    """The plan dict with the clinician's decisions applied (latest decision per step wins):
    dropped and deferred steps leave the steps, replaced ones show the chosen activity and
    added ones join, each marked with who decided, the coded reason and the note; every
    decision is listed under ``decisions`` beside what seqplan advised, and the signature
    under ``signed``."""
    plan = copy.deepcopy(plan)
    table = codes(kb)
    latest = {}
    for d in decisions:
        latest[d["step"] or f"+{d['activity']}"] = d
    advised = {s["id"]: s for s in plan["steps"]}
    listed, steps = [], []
    for step in plan["steps"]:
        mark = latest.get(step["id"])
        entry = _mark(mark, table, step, kb) if mark else None
        if entry:
            listed.append(entry)
        if mark is None or mark["action"] == "accept":
            steps.append(dict(step, decision=entry) if entry else step)
        elif mark["action"] == "replace":
            steps.append(_replaced(step, kb, entry, table["words"]))
        elif mark["action"] == "defer":
            plan["deferred"].insert(0, {"activity": step["activity"], "name": step["name"], "phase": step["phase"],
                                        "rules": [], "sources": [], "because": entry["sentence"], "gates": [],
                                        "until": table["words"]["deferred_until"], "also_blocked_by": [],
                                        "decision": entry})
    added = [mark for key, mark in latest.items() if key.startswith("+")]
    for number, mark in enumerate(added, 1):
        entry = _mark(mark, table, None, kb)
        listed.append(entry)
        step = _replaced(_slot(plan["steps"], kb.activities[mark["activity"]]["stage"], table["words"], number),
                         kb, entry, table["words"])
        same = [n for n, s in enumerate(steps) if s["phase"] == step["phase"]]     # beside its phase's steps
        steps.insert(same[-1] + 1 if same else len(steps), step)
    plan["steps"] = steps
    plan["decisions"] = listed
    plan["signed"] = signature
    return plan


def _mark(decision, table, step, kb):
    """A decision as printed: action label, reason label, note, who and when, and the advice."""
    reason = table["reasons"].get(decision["reason"]) if decision["reason"] else None
    words = table["words"]
    entry = {"action": decision["action"], "action_label": table["actions"][decision["action"]]["label"],
             "step": decision["step"], "advised": step["name"] if step else None,
             "activity": decision["activity"],
             "name": kb.activities[decision["activity"]]["name"] if decision["activity"] else None,
             "reason": decision["reason"], "reason_label": reason["label"] if reason else None,
             "note": decision["note"], "by": decision["by"], "at": decision["at"], "id": f"D{decision['id']}"}
    said = words["decided"].format(action=entry["action_label"].capitalize(), by=entry["by"], date=entry["at"][:10])
    said = (words["with_reason"].format(decided=said, reason=entry["reason_label"]) if reason
            else words["without_reason"].format(decided=said))
    entry["sentence"] = words["with_note"].format(said=said, note=entry["note"]) if entry["note"] else said
    return entry


def _slot(steps, phase, words, number):
    """Where a step the clinician added goes: the dose of the plan's steps of its phase
    (moments are shared within a phase), else the dose the clinician sets."""
    same = next((s for s in steps if s["phase"] == phase), None)
    dose = dict(same["dose"]) if same else {"frequency": words["chosen_dose"], "minutes": words["chosen_dose"],
                                             "daily_minutes": [0, 0], "shared": False, "who": [], "where": [],
                                             "because": words["chosen_dose"]}
    return {"id": f"T{number}", "phase": phase, "dose": dose, "counted": False}


def _replaced(step, kb, entry, words):
    """A step now holding the activity the clinician chose, with the clinician's why; the
    advice's rules, sources and 6 Rs do not carry over to an activity seqplan did not judge."""
    activity = kb.activities[entry["activity"]]
    return dict(step, activity=entry["activity"], name=activity["name"], description=activity.get("description", ""),
                category=activity.get("category"), targets=activity["targets"], functions=activity["functions"],
                form=None, provisional=[], six_rs={}, rules=[], sources=[],
                because=f"{entry['sentence']} {words['not_checked']}", decision=entry)
