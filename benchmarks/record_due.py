"""The case record at caseload size: N children with 4 assessments each, every assessment
planned as it arrives, then `record due` (and `record show` of one child) timed.

Filling the record plans 4N assessments (about a minute of CPU per 1,000 plans); the
queries are then timed in this process, CPU time, the stores alternated when several
are given, and the median and worst of R repetitions printed.

    python benchmarks/record_due.py [-n 1000] [--db PATH|URL ...] [--repeat 15] [--seed 12]
"""
import argparse
import csv
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch import random_rows  # noqa: E402

from planner.api import open_record  # noqa: E402
from planner.kb.knowledge import load_knowledge_base  # noqa: E402

DATES = ["2026-01-15", "2026-04-15", "2026-07-15", "2026-10-15"]


def fill(db, n, seed, workdir):
    """Store 4 assessments of each of ``n`` children, planning each round as it arrives."""
    kb = load_knowledge_base()
    rec = open_record(db)
    rows = random_rows(n, seed, kb)
    started = time.process_time()
    for round_, date in enumerate(DATES):
        path = Path(workdir) / f"round{round_}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=sorted({k for r in rows for k in r}))
            writer.writeheader()
            for row in rows:
                writer.writerow(dict(row, assessed_on=date))
        rec.add([path], by="bench")
        for row in rows:
            rec.plan(row["client_id"], by="bench")
    return rec, rows, time.process_time() - started


def timed(call, repeat):
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        call()
        samples.append((time.process_time() - started) * 1000)
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="children (each with 4 assessments)")
    parser.add_argument("--db", action="append", help="a store to fill and time (default: a new SQLite file)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        stores = []
        for db in args.db or [os.path.join(workdir, "record.db")]:
            rec, rows, cpu = fill(db, args.n, args.seed, workdir)
            print(f"{db}: {4 * args.n} assessments and plans stored in {cpu:.0f} s CPU")
            stores.append((db, rec, rows[len(rows) // 2]["client_id"]))
        today = dt.date(2026, 12, 1)
        results = {db: {"due": [], "show": []} for db, _, _ in stores}
        for _ in range(args.repeat):                       # the stores alternated
            for db, rec, child in stores:
                results[db]["due"] += timed(lambda: rec.due(weeks=4, today=today, by="bench"), 1)
                results[db]["show"] += timed(lambda: rec.child_record(child, by="bench"), 1)
        for db, rec, _ in stores:
            due = rec.due(weeks=4, today=today, by="bench")
            for what, samples in results[db].items():
                print(f"{db}: record {what}: median {statistics.median(samples):.1f} ms, "
                      f"worst {max(samples):.1f} ms CPU over {len(samples)} runs"
                      + (f" ({len(due)} reviews due or overdue of {args.n} children)" if what == "due" else ""))


if __name__ == "__main__":
    main()
