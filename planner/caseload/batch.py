"""``seqplan batch``: plan many assessments (files, directories of them, CSV rows) in a
process pool, one output file per assessment, then the caseload summary.

Order of work, so that a refused batch writes nothing and every output is whole:
1. expand the inputs into cases (files in command-line order, a directory's files by
   name, CSV rows in file order) and validate each case;
2. name each valid case's output (client id and date) and refuse the batch, before
   anything is written, if two cases would get the same name;
3. plan, render and write each case atomically (workers write their own files);
4. write ``errors`` (one line per problem of a failed case), ``caseload.json``,
   ``caseload.html`` and ``caseload.csv``.
A non-empty output directory is refused before step 1, unless ``overwrite`` and it holds
nothing but a previous batch's output; that output is removed just before step 3.
Outputs depend only on the inputs and the knowledge base, never on ``jobs``.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from planner.errors import InputError, SeqplanError
from planner.files import write_new

ASSESSMENT_SUFFIXES = (".yaml", ".yml", ".json")
CSV_SUFFIX = ".csv"
EXTENSIONS = {"md": "md", "json": "json", "html": "html"}
ERRORS_FILE = "errors"
SUMMARY_FILES = ("caseload.json", "caseload.html", "caseload.csv")   # planner.caseload.summary.write_summaries
ERRORS_HEADER = ("file", "row", "field", "problem", "fix")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Problem:
    """One problem of a failed case, as plain data (an ``InputError`` does not survive
    pickling between processes): its one-line text and its parts."""

    text: str
    file: str
    line: object = None
    field: str | None = None
    problem: str | None = None
    fix: str | None = None

    @classmethod
    def of(cls, error, file):
        return cls(str(error), str(getattr(error, "file", file)), getattr(error, "line", None),
                   getattr(error, "field", None), getattr(error, "problem", None) or str(error),
                   getattr(error, "fix", None))

    def __str__(self):
        return self.text


@dataclass
class Case:
    """One assessment of the batch: a file, or one row of a CSV file."""

    source: str                   # the file
    row: int | None = None        # CSV row (header = 1), or None for a whole file
    data: dict | None = None      # the row's mapping (CSV only)
    errors: list = field(default_factory=list)   # InputError, when the case cannot be planned

    shown: str | None = None      # "input N" under --redact: how outputs name it then

    @property
    def label(self):
        return f"{self.source}:{self.row}" if self.row else self.source


@dataclass
class BatchResult:
    """What a batch did: the summary rows of planned cases and the failed cases."""

    outdir: Path
    planned: list                 # summary rows (planner.caseload.summary.case_row), input order
    failed: list                  # Case with errors, input order

    @property
    def ok(self):
        return not self.failed

    def error_lines(self):
        """Each problem of each failed case as the one line seqplan prints for it."""
        return [str(error) for case in self.failed for error in case.errors]


def expand(inputs, outdir, kb):
    """Cases of ``inputs``: assessment files, directories of them (their files by name,
    not recursive; the output directory is skipped) and CSV files (one case per row)."""
    from planner.intake.csvinput import read_rows

    cases, outdir = [], Path(outdir).resolve()
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            if path.resolve() == outdir:
                continue
            files = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix.lower() in ASSESSMENT_SUFFIXES + (CSV_SUFFIX,))
            if not files:
                raise InputError(path, None, "holds no assessment files",
                                 "give a directory of .yaml, .yml, .json or .csv files")
        elif path.is_file():
            files = [path]
        else:
            raise InputError(path, None, "no such file or directory", "check the path")
        for file in files:
            if file.suffix.lower() != CSV_SUFFIX:
                cases.append(Case(str(file)))
                continue
            try:
                rows = read_rows(file, kb)
            except InputError as exc:      # the header or the file itself: no row can be read
                cases.append(Case(str(file), errors=[Problem.of(exc, file)]))
                continue
            cases += [Case(str(file), row, data) for row, data in rows]
    return cases


def previous_output(outdir, overwrite, inputs):
    """The files of a previous batch in ``outdir`` (to remove before writing), or [] when
    it is new or empty. Refuses a non-empty ``outdir`` unless ``overwrite``; with it,
    refuses anything in it that the previous run's ``caseload.json`` does not account for
    (its plans, ``errors`` and ``SUMMARY_FILES``), and any input inside it:
    nothing seqplan did not write is ever removed."""
    import json

    from planner.caseload.summary import CASELOAD_FORMAT

    try:
        entries = sorted(outdir.iterdir()) if outdir.is_dir() else []
    except OSError as exc:
        raise InputError(outdir, "-o", f"cannot read it: {exc.strerror}", "choose a readable directory")
    if not entries:
        return []
    if not overwrite:
        raise InputError(outdir, "-o", f"is not empty (it holds {entries[0].name})",
                         "choose a new or empty directory, or add --overwrite to replace a previous batch's output")
    try:
        summary = json.loads((outdir / "caseload.json").read_text("utf-8"))
        plans = {child["plan"] for child in summary["children"]} if summary["format"] == CASELOAD_FORMAT else None
    except (OSError, ValueError, KeyError, TypeError):
        plans = None
    if plans is None:
        raise InputError(outdir, "--overwrite", "holds no caseload.json of a previous seqplan batch",
                         "--overwrite replaces only a previous batch's output: choose a new or empty directory")
    ours = plans | {ERRORS_FILE, *SUMMARY_FILES}
    given = {Path(i).resolve() for i in inputs}
    for entry in entries:
        if entry.name not in ours or entry.is_symlink() or not entry.is_file():
            raise InputError(outdir, "--overwrite", f"holds {entry.name}, which no previous batch wrote",
                             "move it elsewhere or choose a new or empty directory: --overwrite removes only "
                             "a previous batch's output")
        if entry.resolve() in given:
            raise InputError(outdir, "--overwrite", f"holds {entry.name}, an input of this batch",
                             "move the input elsewhere or choose another directory")
    return entries


def output_name(assessment, fmt):
    """``<client id>_<date>.<ext>``, with anything but letters, digits, '.', '_' and '-'
    in the id replaced by '_' (an id never reaches outside the output directory)."""
    safe = _UNSAFE.sub("_", assessment.client_id).lstrip(".") or "_"
    return f"{safe}_{assessment.assessed_on}.{EXTENSIONS[fmt]}"


def _collisions(cases, assessments, fmt, outdir):
    """Refuse, before anything is written, two cases that would write the same file."""
    owners = {}
    for case, assessment in zip(cases, assessments):
        if assessment is None:
            continue
        name = output_name(assessment, fmt)
        first = owners.setdefault(name.casefold(), (name, case))
        if first[1] is not case:
            raise InputError(case.label, "client.id", f"would write {Path(outdir) / first[0]}, "
                             f"as {first[1].label} does",
                             "give each assessment its own client id and assessed_on date")


# ---- work done in each process (the pool's workers, or this process with --jobs 1) ----

_WORKER = {}


def _init_worker(kb_dir):
    """Load the knowledge base and compile its rules once per worker process."""
    from planner.reasoning import engine
    from planner.kb.knowledge import load_knowledge_base

    kb = load_knowledge_base(kb_dir)
    engine.compiled(kb)
    _WORKER["kb"] = kb


def _in_worker(function):
    """Re-raise anything unexpected as a plain ``RuntimeError`` carrying the traceback:
    an exception the parent cannot unpickle would stall the pool."""
    import functools

    @functools.wraps(function)
    def run(arg):
        try:
            return function(arg)
        except Exception as exc:
            import traceback
            raise RuntimeError("".join(traceback.format_exception(exc))) from None

    return run


@_in_worker
def _validate(case):
    """(Assessment or None, [InputError]) for one case: every problem of a bad case."""
    from planner.intake.validation import validate_file
    from planner.intake.assessment import from_data, load_assessment
    from planner.intake.csvinput import row_errors

    kb = _WORKER["kb"]
    if case.errors:
        return None, case.errors
    try:
        if case.data is None:
            return load_assessment(case.source, kb), []
        return from_data(case.data, case.label, kb=kb), []
    except InputError as first:
        try:
            errors = (validate_file(case.source, kb.directory) if case.data is None
                      else row_errors(case.data, case.source, case.row, kb))
        except InputError as exc:
            errors = [exc]
        return None, [Problem.of(e, case.source) for e in errors or [first]]


@_in_worker
def _plan_and_write(task):
    """Plan one valid assessment, render it and write it atomically; its summary row."""
    from planner.plans.planning import make_plan
    from planner.outputs.render import render_plan
    from planner.caseload.summary import case_row

    assessment, target, fmt, redact = task
    kb = _WORKER["kb"]
    try:
        plan = make_plan(assessment, kb, redact=redact)
        write_new(Path(target), render_plan(plan, fmt))
    except SeqplanError as exc:
        return None, [Problem.of(exc, assessment.source)]
    return case_row(plan, Path(target).name), []


def _cores():
    """The cores this process may run on (what --jobs defaults to)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:      # not on Linux
        return os.cpu_count() or 1


def _mapper(jobs, kb_dir, count):
    """(map function, close function): the pool's ordered ``imap``, or plain ``map``."""
    if jobs <= 1 or count <= 1:
        _init_worker(kb_dir)
        return map, lambda: None
    import multiprocessing

    pool = multiprocessing.get_context("spawn").Pool(jobs, initializer=_init_worker, initargs=(kb_dir,))
    chunk = max(1, min(32, count // (jobs * 8)))

    def imap(fn, items):
        return pool.imap(fn, items, chunksize=chunk)

    def close():
        pool.close()
        pool.join()

    return imap, close


def run_batch(inputs, outdir, fmt="md", jobs=None, redact=False, kb_dir=None, progress=False, overwrite=False,
              on=None):
    """Plan every case of ``inputs`` into ``outdir``; returns a ``BatchResult``.

    Raises ``InputError`` (nothing written or removed) for a missing input, two cases that
    would write the same file, or a non-empty ``outdir`` (with ``overwrite``: one holding
    anything but a previous batch's output, which is then replaced whole); a case that
    cannot be planned is listed in ``outdir/errors``. The summary counts reviews overdue
    and due soon from the date ``on`` (default: today)."""
    from planner.kb.knowledge import load_knowledge_base
    from planner.caseload.summary import write_summaries

    if fmt not in EXTENSIONS:
        raise InputError("--format", fmt, "unknown format", f"use one of: {', '.join(EXTENSIONS)}")
    kb = load_knowledge_base(kb_dir)
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError(outdir, "-o", "is not a directory", "give a directory for the plans")
    previous = previous_output(outdir, overwrite, inputs)
    cases = expand(inputs, outdir, kb)
    for number, case in enumerate(cases, 1):     # a file is often named after the child
        case.shown = f"input {number} (path withheld by --redact)" if redact else None
    jobs = max(1, jobs or _cores())
    imap, close = _mapper(jobs, kb_dir, len(cases))
    try:
        checked = list(_progress(imap(_validate, cases), len(cases), progress, "checking"))
        assessments = [a for a, _ in checked]
        for case, (_, errors) in zip(cases, checked):
            case.errors = list(errors)
        _collisions(cases, assessments, fmt, outdir)
        for entry in previous:
            entry.unlink()
        try:
            outdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(outdir, "-o", f"cannot create it: {exc.strerror}", "choose a writable directory")
        valid = [(c, a) for c, a in zip(cases, assessments) if a is not None]
        tasks = [(a, str(outdir / output_name(a, fmt)), fmt, redact) for _, a in valid]
        planned = []
        for (case, _), (row, errors) in zip(valid, _progress(imap(_plan_and_write, tasks), len(tasks),
                                                             progress, "planning")):
            if errors:
                case.errors = list(errors)
            else:
                row["source"] = case.shown or case.label
                planned.append(row)
    finally:
        close()
    failed = [c for c in cases if c.errors]
    write_new(outdir / ERRORS_FILE, errors_text(failed))
    write_summaries(outdir, planned, failed, kb, on or _dt.date.today())
    return BatchResult(outdir, planned, failed)


def _progress(iterable, total, show, what):
    """A progress bar on the terminal (stderr) when ``show``; the iterable unchanged otherwise."""
    if not show or total == 0:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=what, unit="case", leave=False)


def error_rows(failed):
    """(file, row, field, problem, fix) for each problem of each failed case."""
    rows = []
    for case in failed:
        for p in case.errors:
            rows.append((case.shown or p.file, str(p.line or case.row or ""), p.field or "", p.problem or "",
                         p.fix or ""))
    return rows


def errors_text(failed):
    """The ``errors`` file: tab-separated, a header line, one problem per line."""
    def clean(value):     # on one line, and writable: a lone surrogate from a key as \\udXXX text
        return " ".join(str(value).encode("utf-8", "backslashreplace").decode("utf-8").split())
    lines = ["\t".join(ERRORS_HEADER)] + ["\t".join(clean(v) for v in row) for row in error_rows(failed)]
    return "\n".join(lines) + "\n"
