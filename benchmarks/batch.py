"""`seqplan batch` over many seeded random assessments, with 1 and 2 jobs.

Writes N random (valid) assessments as one CSV file (seeded: the same N and seed give the
same file), then times `seqplan batch CSV -o OUT --format md --jobs J` in a fresh process
for each J: wall time, CPU time of the whole process tree, and memory (the summed RSS of
the process tree, sampled every 0.2 s: its peak, and its value at 25%, 50% and 75% of
the run, which stay level when memory is flat). Also checks that every J wrote the same
bytes.

    python benchmarks/batch.py [-n 10000] [--jobs 1 2] [--seed 12] [--format md]
"""
import argparse
import csv
import hashlib
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from planner.intake.csvinput import columns
from planner.kb.knowledge import load_knowledge_base

AROUSAL = ["", "calm", "alert", "alarm", "fear", "terror"]


def random_rows(n, seed, kb):
    """``n`` valid assessment rows; each child's functions scatter around a per-region level."""
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        age = rng.choice([3.5, 4.5, 6, 7.5, 9, 10.5, 12, 13.5, 15, 17])
        level = {region: rng.randint(2, 12) for region in kb.regions}
        row = {"client_id": f"R-{i:05d}", "age_years": str(age),
               "assessed_on": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}
        for fid, function in kb.functions.items():
            if rng.random() < 0.92:
                row[fid] = str(max(0, min(12, level[function["region"]] + rng.randint(-2, 2))))
        row["arousal"] = rng.choice(AROUSAL)
        row["relational_health"] = rng.choice(["", *map(str, range(0, 13))])
        for period, p in kb.periods.items():
            if p["starts_at_years"] <= age and rng.random() < 0.5:
                row[f"{period}_adversity"] = str(rng.randint(0, 3))
                row[f"{period}_relational_poverty"] = str(rng.randint(0, 3))
        row["interests"] = rng.choice(["", "music", "music;animals", "drawing;sport", "water"])
        row["team"] = rng.choice(["", "caregiver", "caregiver;teacher"])
        row["avoid"] = rng.choice(["", "", "touch", "loud noise"])
        rows.append(row)
    return rows


def tree_rss_kb(pid):
    """Summed resident memory (kB) of ``pid`` and its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo += [int(c) for c in handle.read().split()]
        except (OSError, StopIteration):
            continue
    return total


def run(argv):
    """(wall s, CPU s of the process tree, [(elapsed s, tree RSS kB)])."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    samples = []

    def sample():
        while process.poll() is None:
            samples.append((time.perf_counter() - start, tree_rss_kb(process.pid)))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    process.wait()
    wall = time.perf_counter() - start
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, samples


def digest(directory):
    h = hashlib.sha256()
    for path in sorted(Path(directory).iterdir()):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def at(samples, fraction):
    if not samples:
        return 0
    end = samples[-1][0]
    return min(samples, key=lambda s: abs(s[0] - fraction * end))[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10000, help="assessments (default 10000)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--format", default="md", choices=["md", "json", "html"])
    args = parser.parse_args()
    kb = load_knowledge_base()
    with tempfile.TemporaryDirectory(prefix="seqplan-batch-") as tmp:
        source = Path(tmp) / "caseload.csv"
        with open(source, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns(kb))
            writer.writeheader()
            writer.writerows(random_rows(args.n, args.seed, kb))
        print(f"{args.n} seeded random assessments (seed {args.seed}), --format {args.format}")
        print(f"{'jobs':>4} {'wall s':>8} {'CPU s':>8} {'ms/case wall':>12} {'peak RSS MB':>11} "
              f"{'RSS MB at 25/50/75%':>20} {'output':>16}")
        for jobs in args.jobs:
            out = Path(tmp) / f"out{jobs}"
            wall, cpu, samples = run([sys.executable, "-m", "planner.cli", "batch", str(source), "-o", str(out),
                                      "--format", args.format, "--jobs", str(jobs)])
            peak = max((s[1] for s in samples), default=0) / 1024
            level = "/".join(f"{at(samples, f) / 1024:.0f}" for f in (0.25, 0.5, 0.75))
            print(f"{jobs:4d} {wall:8.1f} {cpu:8.1f} {1000 * wall / args.n:12.2f} {peak:11.0f} {level:>20} "
                  f"{digest(out):>16}")


if __name__ == "__main__":
    main()
