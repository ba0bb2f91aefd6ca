"""What-ifs against the real server: starts `seqplan serve` (gunicorn, its worker processes
and threads) on a free 127.0.0.1 port, then sends POST /api/whatif (a bundled example and
one edit; two plans per request) from a bounded pool of concurrent clients, 4 and then 1
by default, and prints the latency median, 95th percentile and maximum, the errors, and
the 1-minute load average before and after each run (the machine may be shared: a high
load before a run means the numbers measure the neighbours too). Not a test: nothing is
asserted; tests/test_web_server.py has the bounded load test.

    python benchmarks/whatif_server.py [--requests 200] [--clients 4 1] [--baseline]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from planner.intake.assessment import load_assessment
from planner.intake.examples import bundled_paths

EDITS = [{"sleep": 9}, {"current.arousal": "calm"}, {"context.avoid": []}, {"cardiovascular": 11},
         {"current.relational_health": 9}, {"sleep": 2}]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def start():
    """(process, base URL) of `seqplan serve --port 0` (the port it says it took)."""
    process = subprocess.Popen([sys.executable, "-m", "planner.cli", "serve", "--port", "0"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    line = process.stderr.readline()
    match = re.search(r"serving on (http://127\.0\.0\.1:\d+)/", line)
    if not match:
        process.terminate()
        sys.exit(f"the server did not start: {line.strip()}")
    return process, match.group(1)


def post(url, body, timeout=120):
    """(seconds, error or None) of one request."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            error = None if response.status == 200 else f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        error = f"HTTP {exc.code}"
    except OSError as exc:
        error = type(exc).__name__
    return time.perf_counter() - start, error


def run(url, bodies, clients):
    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(lambda body: post(url, body), bodies))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, nargs="+", default=[4, 1])
    parser.add_argument("--example", default="young-child-brainstem")
    parser.add_argument("--baseline", action="store_true", help="send the unedited plan's summary (one plan each)")
    args = parser.parse_args()
    assessment = load_assessment(bundled_paths()[args.example]).canonical
    process, base = start()
    try:
        url = base + "/api/whatif"
        baseline = None
        if args.baseline:
            with urllib.request.urlopen(urllib.request.Request(url, data=json.dumps(
                    {"assessment": assessment, "baseline": True}).encode(),
                    headers={"Content-Type": "application/json"}), timeout=120) as response:
                baseline = json.loads(response.read())["baseline"]
        bodies = [json.dumps({"assessment": assessment, "set": EDITS[i % len(EDITS)], "baseline": baseline}).encode()
                  for i in range(args.requests)]
        run(url, bodies[:16], 4)          # warm-up: every worker compiles its rules once
        print(f"POST /api/whatif{' + baseline' if baseline else ''} on `seqplan serve` ({base}), "
              f"{args.requests} requests per run, example {args.example}, {os.cpu_count()} CPUs")
        for clients in args.clients:
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            answers = run(url, bodies, clients)
            wall = time.perf_counter() - started
            load_after = os.getloadavg()[0]
            times = [t * 1000 for t, _ in answers]
            errors = [e for _, e in answers if e]
            print(f"{clients} client{'s' if clients > 1 else ' '}: p50 {percentile(times, 50):7.1f} ms  "
                  f"p95 {percentile(times, 95):7.1f} ms  max {max(times):7.1f} ms  errors {len(errors)}"
                  f"{' ' + str(sorted(set(errors))) if errors else ''}  {args.requests / wall:5.1f} req/s  "
                  f"load(1 min) {load_before:.2f} -> {load_after:.2f}")
    finally:
        process.terminate()
        process.wait(timeout=60)


if __name__ == "__main__":
    main()
