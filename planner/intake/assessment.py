"""Assessment file -> validated ``Assessment``. Nothing downstream sees unvalidated input."""
from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from planner.errors import InputError
from planner.resources import data_dir

FORMAT = "seqplan/assessment-1"
_SCHEMA = None


@dataclass(frozen=True)
class Assessment:
    """One child's assessment, validated against the schema and the function catalogue."""

    source: str
    client_id: str
    age_years: float             # as written (int or float)
    assessed_on: str
    functioning: dict            # function id -> score 0..12
    name: str | None = None
    assessor: str | None = None
    history: dict = field(default_factory=dict)   # period -> {adversity, relational_poverty}
    relational_health: int | None = None
    arousal: str | None = None
    dissociative_state: str | None = None      # typical position on the dissociative continuum
    interests: tuple = ()
    avoid: tuple = ()
    team: tuple = ()
    settings: tuple = ()
    notes: str | None = None
    # brief v3 (docs/assessment-fields.md): all optional
    informants: tuple = ()
    qualifiers: dict = field(default_factory=dict)     # function id -> {kind, note}
    previous: dict | None = None                      # the previous assessment's ratings and state
    threat_ongoing: bool = False
    unsafe_adults: tuple = ()
    concerns: tuple = ()
    mobility: str | None = None
    home_language: str | None = None
    interpreter: bool = False
    own_goal: dict | None = None
    looked_after: bool = False
    placements: int | None = None
    canonical: dict = field(default_factory=dict, repr=False)

    def redacted(self):
        """(this assessment without the client's name, the assessor and the notes, the
        names of the fields withheld). Its ``digest`` is of the redacted input, so nothing
        withheld can be recovered from a plan by trying names against the digest."""
        import copy
        import dataclasses

        canonical = copy.deepcopy(self.canonical)
        withheld = []
        for name, (section, key) in (("name", ("client", "name")), ("assessor", (None, "assessor")),
                                     ("notes", ("context", "notes"))):
            holder = canonical.get(section) if section else canonical
            if isinstance(holder, dict) and key in holder:
                del holder[key]
                withheld.append(name)
        if isinstance(canonical.get("context"), dict) and not canonical["context"]:
            del canonical["context"]
        return dataclasses.replace(self, name=None, assessor=None, notes=None, canonical=canonical), withheld

    def following(self, earlier):
        """This assessment with ``earlier`` (of the same child) as its ``previous``: its ratings and
        state, the fields a plan needs to step down. The canonical input (and so the digest)
        includes it, since the plan depends on it."""
        import dataclasses

        previous = {"assessed_on": earlier.assessed_on, "functioning": dict(earlier.functioning)}
        if earlier.qualifiers:
            previous["qualifiers"] = earlier.qualifiers
        state = {k: v for k, v in (("relational_health", earlier.relational_health), ("arousal", earlier.arousal))
                 if v is not None}
        if state:
            previous["current"] = state
        return dataclasses.replace(self, previous=previous, canonical=dict(self.canonical, previous=previous))

    def earlier(self):
        """The previous assessment (``previous``) as an ``Assessment`` of the same child: its
        ratings, state and date, the child's age then, and today's context. None without one."""
        import dataclasses

        if not self.previous:
            return None
        before = self.previous
        years = (_dt.date.fromisoformat(self.assessed_on) - _dt.date.fromisoformat(before["assessed_on"])).days / 365.25
        state = before.get("current", {})
        canonical = {k: v for k, v in self.canonical.items() if k != "previous"}
        canonical.update(assessed_on=before["assessed_on"], functioning=before["functioning"])
        return dataclasses.replace(
            self, age_years=round(max(self.age_years - years, 0.01), 2), assessed_on=before["assessed_on"],
            functioning=dict(before["functioning"]), qualifiers=before.get("qualifiers", {}),
            relational_health=state.get("relational_health"), arousal=state.get("arousal"),
            previous=None, canonical=canonical)

    @property
    def digest(self):
        """sha256 over the canonical input (sorted keys, ISO dates), so YAML and JSON agree."""
        text = json.dumps(self.canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _schema():
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = json.loads((data_dir("schemas") / "assessment-1.schema.json").read_text("utf-8"))
    return _SCHEMA


MAX_SUGGESTIONS = 20       # unknown ids given a "did you mean" (each compares with the whole catalogue)
MAX_PROBLEMS = 200         # problems listed for one assessment; the rest are counted


def suggest(word, choices):
    """A ' did you mean ...?' hint, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _input_error(path, problem):
    """A ``safeload.LoadProblem`` about the file at ``path`` as an ``InputError``."""
    return InputError(path, problem.field, problem.problem, problem.fix, problem.line)


def parse_with_lines(path, text):
    """(data, {field path: line} or None): YAML or JSON parsed once, strictly (YAML 1.2
    numbers, no aliases, no duplicate keys; see planner.reading.safeload)."""
    from planner.reading.safeload import LoadProblem, parse as parse_text

    try:
        return parse_text(text, Path(path).suffix.lower() == ".json")
    except LoadProblem as exc:
        raise _input_error(path, exc) from None


def parse(path: Path, text: str):
    """Parse YAML or JSON; syntax errors carry the line number, duplicate keys are errors."""
    return parse_with_lines(path, text)[0]


def _line_index(text):
    """Map field paths (tuples) to 1-based line numbers (for JSON, only when there is a
    problem to report: JSON is YAML, so YAML's nodes carry the lines)."""
    from planner.reading.safeload import LoadProblem, parse_yaml

    try:
        return parse_yaml(text)[1]
    except (LoadProblem, ValueError, RecursionError):
        return {}


def _plain(value):
    """The canonical form: ISO date strings, and whole numbers as integers (a score of
    4.0 is the score 4), so the input digest depends on what was meant, not how."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _unrated_left_out(data):
    """``data`` with a rating left blank (``sleep:`` with nothing after it, as
    ``seqplan template`` writes it) left out: not rated, as an empty CSV cell is."""
    ratings = data.get("functioning") if isinstance(data, dict) else None
    if not isinstance(ratings, dict):
        return data
    return dict(data, functioning={k: v for k, v in ratings.items() if v is not None})


def _dotted(path):
    return ".".join(str(p) for p in path) or "(top level)"


def _describe(error, path):
    """One schema violation -> (field, problem, fix)."""
    v, kind, arg = error.instance, error.validator, error.validator_value
    here = _dotted(path)
    if kind == "required":     # one error per missing field, each for the whole list: say each once
        return [(_dotted(path + (name,)), "required field is missing", f"add '{name}'")
                for name in arg if not isinstance(v, dict) or name not in v]
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        return [(_dotted(path + (extra,)), "unknown field",
                 suggest(extra, allowed) or f"allowed: {', '.join(sorted(allowed))}")
                for extra in sorted(k for k in v if k not in allowed)]
    if kind == "type" and v is None:      # a blank left as written (`id:` with nothing after it)
        return here, "is empty", "fill it in"
    if kind == "type":
        want = {"integer": "a whole number", "number": "a number", "string": "text",
                "object": "a mapping", "array": "a list", "boolean": "true or false"}.get(arg, arg)
        return here, f"must be {want}, got {json.dumps(v, default=str)}", None
    if kind in ("minimum", "maximum", "exclusiveMinimum"):
        bounds = error.schema
        lo = bounds.get("minimum", bounds.get("exclusiveMinimum"))
        hi = bounds.get("maximum")
        return here, f"{v} is out of range", f"use a value from {lo} to {hi}" + (
            " (above 0)" if "exclusiveMinimum" in bounds else "")
    if kind == "enum":
        return here, f"'{v}' is not allowed", suggest(v, arg) or f"use one of: {', '.join(arg)}"
    if kind == "const":
        return here, f"must be '{arg}', got {json.dumps(v, default=str)}", f"write {here}: {arg}"
    if kind == "pattern" and path == ("assessed_on",):
        return here, f"'{v}' is not an ISO date", "write it as YYYY-MM-DD"
    if kind == "pattern":
        return here, "contains a line break or control character", "write it on one line"
    if kind == "minProperties" and path == ("functioning",):
        return here, "no function is rated", "give at least one function a rating"
    if kind in ("minProperties", "minLength"):
        return here, "must not be empty", None
    if kind == "maxLength":       # the value itself is not repeated: it may be a name under --redact
        return here, f"is {len(v)} characters long", f"shorten it to at most {arg}"
    return here, error.message, None


_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}
_META = {"$schema", "$id", "$defs", "title", "description"}


def _valid(value, schema, root):
    """True when ``value`` certainly satisfies ``schema`` (the subset of JSON Schema the
    assessment schema uses); False means "ask jsonschema", which then says what is wrong.
    Valid input, the usual case, never imports jsonschema (60-80 ms)."""
    import re

    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/") or len(schema) > 1:
            return False
        schema = root["$defs"][ref[len("#/$defs/"):]]
    for key, arg in schema.items():
        if key in _META:
            continue
        if key == "type":
            if arg in _TYPES:
                ok = isinstance(value, _TYPES[arg])
            elif arg in ("integer", "number"):
                ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (
                    arg == "number" or isinstance(value, int) or value.is_integer())
            else:
                return False
        elif key == "const":
            ok = value == arg and type(value) is type(arg)
        elif key == "enum":
            ok = isinstance(value, str) and value in arg
        elif key == "required":
            ok = all(name in value for name in arg) if isinstance(value, dict) else True
        elif key == "properties":
            ok = not isinstance(value, dict) or all(
                _valid(value[name], sub, root) for name, sub in arg.items() if name in value)
        elif key == "additionalProperties":
            if not isinstance(value, dict):
                ok = True
            else:
                extra = [v for k, v in value.items() if k not in schema.get("properties", {})]
                ok = (bool(arg) or not extra) if isinstance(arg, bool) else all(_valid(v, arg, root) for v in extra)
        elif key == "items":
            ok = not isinstance(value, list) or all(_valid(v, arg, root) for v in value)
        elif key == "minProperties":
            ok = not isinstance(value, dict) or len(value) >= arg
        elif key == "minLength":
            ok = not isinstance(value, str) or len(value) >= arg
        elif key == "maxLength":
            ok = not isinstance(value, str) or len(value) <= arg
        elif key == "pattern":
            ok = not isinstance(value, str) or re.search(arg, value) is not None
        elif key in ("minimum", "maximum", "exclusiveMinimum"):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                ok = True
            else:
                ok = {"minimum": value >= arg, "maximum": value <= arg, "exclusiveMinimum": value > arg}[key]
        else:
            return False
        if not ok:
            return False
    return True


class _Lines:
    """Field path -> line, worked out only when a problem needs one."""

    def __init__(self, text, lines=None):
        self.text, self.lines = text, lines

    def get(self, key, default=None):
        if self.lines is None:
            self.lines = _line_index(self.text) if self.text else {}
        return self.lines.get(key, default)


def validation_errors(data, path, text="", kb=None, lines=None):
    """All problems with already-parsed data, as ``InputError`` objects in field order.
    ``lines`` ({field path: line}) is worked out from ``text`` when not given."""
    from planner.reading.safeload import LoadProblem, check_values

    lines = _Lines(text, lines)
    try:
        data = _unrated_left_out(_plain(check_values(data, {})))
    except LoadProblem as exc:
        exc.line = exc.line or lines.get(exc.path)
        return [_input_error(path, exc)]
    if data is None:
        return [InputError(path, None, "the file is empty",
                           f"start it with 'format: {FORMAT}' (see the assessment format)")]
    if not isinstance(data, dict):
        return [InputError(path, None, "expected a mapping of fields at the top level",
                           f"start it with 'format: {FORMAT}'")]
    errors = []
    if not _valid(data, _schema(), _schema()):
        import jsonschema

        validator = jsonschema.Draft202012Validator(_schema())
        said = set()
        for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
            fpath = tuple(error.absolute_path)
            described = _describe(error, fpath)
            for name, problem, fix in described if isinstance(described, list) else [described]:
                if (name, problem) in said:
                    continue
                said.add((name, problem))
                errors.append(InputError(path, name, problem, fix,
                                         lines.get(tuple(name.split(".")), lines.get(fpath))))
    errors.extend(_semantic_errors(data, path, lines, kb))
    # file order; problems with no line (a missing field) last, after e.g. the misspelt key
    errors.sort(key=lambda e: (e.line is None, e.line or 0, e.field or ""))
    if len(errors) > MAX_PROBLEMS:        # nobody reads 100,000 lines: the first ones, then a count
        errors[MAX_PROBLEMS:] = [InputError(path, None, f"and {len(errors) - MAX_PROBLEMS} more problems",
                                            "fix the ones above and validate again")]
    return errors


def _semantic_errors(data, path, lines, kb):
    """Checks the schema cannot express: catalogue ids, real dates, finite ages, and
    periods after the child's age. Each runs wherever the part it reads is well formed."""
    if kb is None:
        from planner.kb.knowledge import load_knowledge_base
        kb = load_knowledge_base()
    errors = []
    previous = data.get("previous") if isinstance(data.get("previous"), dict) else {}
    suggested = 0
    for where, ids in (("functioning", data.get("functioning")), ("qualifiers", data.get("qualifiers")),
                       ("previous.functioning", previous.get("functioning")),
                       ("previous.qualifiers", previous.get("qualifiers"))):
        for fid in ids if isinstance(ids, dict) else ():
            if fid not in kb.functions:
                # a fuzzy match costs a comparison with every catalogue id: the first few only
                # (100,000 unknown ids took 30-50 s)
                suggested += 1
                hint = (suggest(fid, kb.functions) if suggested <= MAX_SUGGESTIONS else None) \
                    or "see `seqplan kb list functions` for the catalogue"
                errors.append(InputError(path, f"{where}.{fid}", "unknown function id", hint,
                                         lines.get((*where.split("."), fid))))
    before = previous.get("assessed_on")
    if isinstance(before, str) and isinstance(data.get("assessed_on"), str) and before >= data["assessed_on"]:
        errors.append(InputError(path, "previous.assessed_on", f"'{before}' is not before assessed_on",
                                 "give the date of the earlier assessment", lines.get(("previous", "assessed_on"))))
    date = data.get("assessed_on")
    if isinstance(date, str) and len(date) != 10 and date[:10].isascii() and date.rstrip("\n") == date[:10]:
        # "2026-11-02\n": the schema's pattern ($ also matches before a final line break) passes it
        errors.append(InputError(path, "assessed_on", f"{date!r} is not an ISO date", "write it as YYYY-MM-DD",
                                 lines.get(("assessed_on",))))
    elif isinstance(date, str) and len(date) == 10:
        try:
            _dt.date.fromisoformat(date)
        except ValueError:
            errors.append(InputError(path, "assessed_on", f"'{date}' is not a real date", "write it as YYYY-MM-DD",
                                     lines.get(("assessed_on",))))
    client = data.get("client")
    age = client.get("age_years") if isinstance(client, dict) else None
    if isinstance(age, float) and math.isnan(age):    # the schema's range checks pass NaN
        errors.append(InputError(path, "client.age_years", f"{age} is not a finite number",
                                 "use the age in years, e.g. 9.5", lines.get(("client", "age_years"))))
        age = None
    history = data.get("history")
    if not isinstance(age, (int, float)) or isinstance(age, bool) or not isinstance(history, dict):
        return errors
    for period in history:
        if period not in kb.periods:
            continue
        starts = kb.periods[period]["starts_at_years"]
        if starts > age:
            errors.append(InputError(
                path, f"history.{period}",
                f"history may only cover periods the child has reached, and the child ({age} years) has not "
                f"reached this one (it starts at {starts} years)",
                "remove it or correct client.age_years", lines.get(("history", period))))
    return errors


def from_data(data, source="<data>", text="", kb=None, *, more=None, lines=None):
    """Validate parsed data and build an ``Assessment``; raise the first ``InputError``.

    ``more`` says where to see every problem when there are several (default: the
    ``seqplan validate`` command line for ``source``)."""
    from planner.reading.safeload import check_values

    errors = validation_errors(data, source, text, kb, lines)
    if errors:
        first = errors[0]
        if len(errors) > 1:
            more = more or f"run `seqplan validate {source}`"
            first.args = (f"{first.args[0]} [and {len(errors) - 1} more: {more}]",)
        raise first
    data = _unrated_left_out(_plain(check_values(data, {})))     # validated: surrogate pairs joined, dates as text
    client, ctx, cur = data["client"], data.get("context", {}), data.get("current", {})
    return Assessment(
        source=str(source),
        client_id=client["id"],
        name=client.get("name"),
        age_years=client["age_years"],
        assessed_on=data["assessed_on"],
        assessor=data.get("assessor"),
        functioning={k: int(v) for k, v in sorted(data["functioning"].items())},
        history={p: dict(sorted(v.items())) for p, v in sorted(data.get("history", {}).items())},
        relational_health=cur.get("relational_health"),
        arousal=cur.get("arousal"),
        dissociative_state=cur.get("dissociative_state"),
        interests=tuple(ctx.get("interests", ())),
        avoid=tuple(ctx.get("avoid", ())),
        team=tuple(ctx.get("team", ())),
        settings=tuple(ctx.get("settings", ())),
        notes=ctx.get("notes"),
        informants=tuple(data.get("informants", ())),
        qualifiers=data.get("qualifiers", {}),
        previous=data.get("previous"),
        threat_ongoing=cur.get("threat_ongoing", False),
        unsafe_adults=tuple(ctx.get("unsafe_adults", ())),
        concerns=tuple(ctx.get("concerns", ())),
        mobility=ctx.get("mobility"),
        home_language=ctx.get("home_language"),
        interpreter=ctx.get("interpreter", False),
        own_goal=ctx.get("own_goal"),
        looked_after=ctx.get("looked_after", False),
        placements=ctx.get("placements"),
        canonical=data,
    )


def read_text(path):
    """Read the file (a regular file of at most a few MB, UTF-8 with or without a BOM),
    turning every OS problem into a one-line ``InputError``."""
    from planner.reading.safeload import LoadProblem, read_text as read

    try:
        return read(path)
    except LoadProblem as exc:
        raise _input_error(path, exc) from None


def load_assessment(path, kb=None):
    """Read, parse (once) and validate one assessment file (YAML or JSON)."""
    path = Path(path)
    text = read_text(path)
    data, lines = parse_with_lines(path, text)
    return from_data(data, path, text, kb, lines=lines)
