"""CPU time of many plans in one process (the speed half of
tests/test_determinism.py::test_more_plans_than_the_engine_has_sessions; tests assert no time).

Plans 1,100 sparse assessments (more than durable-rules' 1024 live sessions per ruleset)
and, alternating with it, the same number of rich ones, several rounds; reports the median
CPU seconds per round (process CPU time, so a busy machine skews it less than wall time).

    python benchmarks/many_plans.py [--plans 1100] [--rounds 3]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # tests.conftest builds the inputs

from planner.intake.assessment import from_data
from planner.kb.knowledge import load_knowledge_base
from planner.plans.planning import make_plan
from tests.conftest import make_assessment


def cpu_seconds(assessments, kb, plans):
    start = time.process_time()
    for n in range(plans):
        make_plan(assessments[n % len(assessments)], kb)
    return time.process_time() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=1100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    kb = load_knowledge_base()
    sparse = [from_data(make_assessment(None, None, None, None, client_id=f"S-{i}",
                                        functioning={"sleep": i % 13}), kb=kb) for i in range(13)]
    rich = [from_data(make_assessment(4, 6, 5, 7, client_id=f"R-{i}", age=7.5), kb=kb) for i in range(13)]
    make_plan(sparse[0], kb)   # compile and register the ruleset outside the timing
    variants = {"sparse": sparse, "rich": rich}
    times = {name: [] for name in variants}
    for _ in range(args.rounds):          # variants alternated, so drift hits both alike
        for name, assessments in variants.items():
            times[name].append(cpu_seconds(assessments, kb, args.plans))
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:8} {args.plans} plans: median {median:.2f} s CPU ({median / args.plans * 1000:.2f} ms/plan)")


if __name__ == "__main__":
    main()
