"""The what-if round trip through the web API: POST /api/whatif with a bundled example
and one edit, through Flask's test client (request parsing, validation, two plans, the
comparison and the JSON response; no network). Then the same with a `baseline` (the
summary of the unedited plan that an earlier response returned; one plan per request),
and the page's own call, POST /ui/update with its baseline, which also renders the map
and the plan fragments.

Edits alternate between a few kinds (a rating, the arousal state, a context list) so no
single cache path is measured alone. Reports the median and 95th percentile of wall time
and of CPU time (process time) per request. Target: 95th percentile at most 150 ms.

    python benchmarks/whatif.py [--requests 300] [--example young-child-brainstem]
"""
import argparse
import json
import statistics
import time

from planner.intake.assessment import load_assessment
from planner.intake.examples import bundled_paths
from planner.web.app import create_app

EDITS = [{"sleep": 9}, {"current.arousal": "calm"}, {"context.avoid": []}, {"cardiovascular": 11},
         {"current.relational_health": 9}, {"sleep": 2}]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(client, url, assessment, n, baseline=None):
    wall, cpu = [], []
    for i in range(n):
        body = json.dumps({"assessment": assessment, "set": EDITS[i % len(EDITS)], "baseline": baseline})
        w0, c0 = time.perf_counter(), time.process_time()
        response = client.post(url, data=body, content_type="application/json")
        c1, w1 = time.process_time(), time.perf_counter()
        assert response.status_code == 200, response.get_data(as_text=True)
        wall.append((w1 - w0) * 1000)
        cpu.append((c1 - c0) * 1000)
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--example", default="young-child-brainstem")
    args = parser.parse_args()
    client = create_app().test_client()
    assessment = load_assessment(bundled_paths()[args.example]).canonical
    baseline = client.post("/api/whatif", json={"assessment": assessment, "baseline": True}).get_json()["baseline"]
    runs = [("/api/whatif", None, "/api/whatif"), ("/api/whatif", baseline, "/api/whatif + baseline"),
            ("/ui/update", baseline, "/ui/update + baseline")]
    for url, base, _ in runs:
        measure(client, url, assessment, 10, base)   # warm-up: compile the rules, load templates
    print(f"what-if round trip, {args.requests} requests per variant, example {args.example}")
    for url, base, name in runs:
        wall, cpu = measure(client, url, assessment, args.requests, base)
        print(f"{name:24s} wall median {statistics.median(wall):6.1f} ms  p95 {percentile(wall, 95):6.1f} ms | "
              f"CPU median {statistics.median(cpu):6.1f} ms  p95 {percentile(cpu, 95):6.1f} ms | "
              f"target p95 <= 150 ms: {'met' if percentile(wall, 95) <= 150 else 'NOT met'}")


if __name__ == "__main__":
    main()
