"""CSV input: one assessment per row (the column contract is docs/assessment-csv.md).

A row becomes the mapping an assessment file would hold, and is validated exactly like
one (planner.intake.assessment.validation_errors); problems name the file, the row (as a
spreadsheet numbers it: the header is row 1) and the column.
"""
from __future__ import annotations

import csv
import re

from planner.intake.assessment import FORMAT, suggest, validation_errors
from planner.errors import InputError

LIST_SEPARATOR = ";"
CLIENT_COLUMNS = {"client_id": ("client", "id"), "name": ("client", "name"),
                  "age_years": ("client", "age_years")}
TOP_COLUMNS = {"assessed_on": ("assessed_on",), "assessor": ("assessor",)}
CURRENT_COLUMNS = {"relational_health": ("current", "relational_health"), "arousal": ("current", "arousal"),
                   "dissociative_state": ("current", "dissociative_state")}
LIST_COLUMNS = ("interests", "avoid", "team", "settings")
HISTORY_FIELDS = ("adversity", "relational_poverty")
REQUIRED = ("client_id", "age_years", "assessed_on")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def columns(kb):
    """Every column, in the order of the template: client, date, the functions in
    catalogue order, current state, history per period, context."""
    out = ["client_id", "name", "age_years", "assessed_on", "assessor"]
    out += list(kb.functions)
    out += list(CURRENT_COLUMNS)
    out += [f"{period}_{what}" for period in kb.periods for what in HISTORY_FIELDS]
    out += [*LIST_COLUMNS, "notes"]
    return out


def _paths(kb):
    """column -> field path in the assessment mapping."""
    paths = dict(CLIENT_COLUMNS, **TOP_COLUMNS, **CURRENT_COLUMNS)
    paths.update({fid: ("functioning", fid) for fid in kb.functions})
    paths.update({f"{p}_{w}": ("history", p, w) for p in kb.periods for w in HISTORY_FIELDS})
    paths.update({c: ("context", c) for c in LIST_COLUMNS})
    paths["notes"] = ("context", "notes")
    return paths


def _numeric(kb):
    return {"age_years", "relational_health", *kb.functions,
            *(f"{p}_{w}" for p in kb.periods for w in HISTORY_FIELDS)}


def _value(column, text, numeric):
    """A cell as the value YAML would give: numbers for numeric columns, lists for list
    columns, text otherwise. Anything else is left as text for the validator to name."""
    if column in LIST_COLUMNS:
        return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
    if column in numeric and _NUMBER.match(text.strip()):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    return text


def row_mapping(header, cells, kb):
    """The assessment mapping of one row (empty cells are absent fields)."""
    paths, numeric = _paths(kb), _numeric(kb)
    data = {"format": FORMAT}
    for column, text in zip(header, cells):
        if text.strip() == "":
            continue
        path = paths[column]
        value = _value(column, text if column == "notes" else text.strip(), numeric)
        target = data
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value
    return data


def column_of(field, kb):
    """The column an error about assessment field ``field`` (dotted path) is about."""
    if not field:
        return None
    parts = field.split(".")
    if parts[0] == "client" and len(parts) > 1:
        return {"id": "client_id"}.get(parts[1], parts[1])
    if parts[0] in ("functioning", "current") and len(parts) > 1:
        return parts[1]
    if parts[0] == "functioning":
        return "the function columns"
    if parts[0] == "history" and len(parts) > 2:
        return f"{parts[1]}_{parts[2]}"
    if parts[0] == "history" and len(parts) == 2:
        return f"{parts[1]}_{'/'.join(HISTORY_FIELDS)}"
    if parts[0] == "context" and len(parts) > 1:
        return parts[1]
    return parts[0]


def row_errors(data, path, row, kb):
    """Every problem with one row's mapping, each naming the file, the row and the column."""
    return [InputError(path, column_of(e.field, kb), e.problem, e.fix, row)
            for e in validation_errors(data, path, "", kb)]


def read_rows(path, kb):
    """(row number, mapping) for each assessment row of the CSV file at ``path``.

    Blank rows and rows whose first cell starts with ``#`` are skipped (comments, as in
    ``seqplan template --format csv``). A problem with the file or its header row raises
    ``InputError``: no row of such a file can be read as meant."""
    from planner.intake.assessment import read_text

    text = read_text(path).removeprefix("\ufeff")     # a spreadsheet's byte-order mark
    try:
        records = list(csv.reader(text.splitlines(keepends=True), strict=True))
    except csv.Error as exc:
        raise InputError(path, None, f"invalid CSV: {exc}", "fix the quoting of that row")
    header, header_row, rows = None, None, []
    for number, cells in enumerate(records, start=1):
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if header is None:
            header, header_row = [c.strip() for c in cells], number
            _check_header(header, path, number, kb)
            continue
        if len(cells) > len(header):
            raise InputError(path, None, f"has {len(cells)} cells but the header has {len(header)} columns",
                             "quote cells that contain a comma", number)
        rows.append((number, row_mapping(header, cells, kb)))
    if header is None:
        raise InputError(path, None, "has no header row", f"start it with the columns: {', '.join(REQUIRED)}, ...")
    if not rows:
        raise InputError(path, None, "holds no assessment, only a header row",
                         "add one row per assessment under the header")
    return rows


def _check_header(header, path, row, kb):
    known = columns(kb)
    seen = set()
    for column in header:
        if column in seen:
            raise InputError(path, column, "column appears twice",
                             "keep one: seqplan will not guess which one was meant", row)
        seen.add(column)
        if column not in known:
            raise InputError(path, column or "(empty)", "unknown column",
                             suggest(column, known) or "see `seqplan template --format csv` for the columns", row)
    for column in REQUIRED:
        if column not in seen:
            raise InputError(path, column, "required column is missing", f"add a column '{column}'", row)


def validate_csv(path, kb):
    """Every problem with every row of the CSV file at ``path`` (empty when all are valid)."""
    try:
        rows = read_rows(path, kb)
    except InputError as exc:
        return [exc]
    return [error for row, data in rows for error in row_errors(data, path, row, kb)]
