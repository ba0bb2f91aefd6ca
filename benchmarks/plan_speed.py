"""How long planning one assessment takes, and how much of it is seqplan's own work.

"raw engine": the same compiled rules and input facts run through durable-rules with
bare actions that only assert their conclusions (no trace, no bookkeeping).
"seqplan md": make_plan + the Markdown plan (what `seqplan plan` prints) from a
validated assessment; "seqplan json": make_plan + the JSON plan, which also
serialises the full trace and every fact it names.
Overhead = (seqplan - raw engine) / raw engine. Target: under 30% for the default
(Markdown) path.

    python benchmarks/plan_speed.py [--repeat 30]
"""
import argparse
import statistics
import time

import durable.engine

from planner.assessment import load_assessment
from planner.compiler import LAYER_KIND, Ref, compile_ruleset
from planner.examples import example_paths
from planner.facts import build_facts, fact_id
from planner.knowledge import load_knowledge_base
from planner.planning import make_plan
from planner.render import render_plan


class Host(durable.engine.Host):
    def _run(self):
        pass


def raw_engine(kb):
    """A ruleset with the same rules and the cheapest action that still chains."""
    definitions, rules = compile_ruleset(kb.active_rules, kb.layers, kb.parameter_values, kb.fact_kinds)
    seen = {}

    def action(rule):
        def run(c):
            facts = seen[c.s["sid"]]
            for template in rule.then:
                fact = {k: (c._m[v.pattern][v.field] if isinstance(v, Ref) else v) for k, v in template.items()}
                fact["id"] = fact_id(fact)
                if fact["id"] not in facts:
                    facts.add(fact["id"])
                    c.assert_fact(fact)
        return run

    for name, definition in definitions.items():
        definition["run"] = action(rules[name]) if name in rules else (lambda c: None)
    host = Host()
    host.register_rulesets({"raw": definitions})
    counter = iter(range(1, 10**9))

    def evaluate(facts):
        sid = str(next(counter))
        seen[sid] = set()
        try:
            host.assert_facts("raw", [dict(f, sid=sid) for f in facts])
            for n in range(1, len(kb.layers) + 1):
                host.assert_fact("raw", {"sid": sid, "id": f"{LAYER_KIND}{n}", "kind": LAYER_KIND, "n": n})
        finally:
            host.delete_state("raw", sid)
            del seen[sid]

    return evaluate


def median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    kb = load_knowledge_base()
    raw = raw_engine(kb)
    print(f"{'example':32} {'firings':>7} {'raw engine ms':>13} {'md ms':>7} {'overhead':>8} {'json ms':>7} {'overhead':>8}")
    for name, path in example_paths().items():
        assessment = load_assessment(path, kb)
        plan = make_plan(assessment, kb)   # warm caches (compiled ruleset, templates)
        facts = build_facts(assessment, kb)
        raw_ms = median_ms(lambda: raw(facts), args.repeat)

        md_ms = median_ms(lambda: render_plan(make_plan(assessment, kb), "md"), args.repeat)
        json_ms = median_ms(lambda: render_plan(make_plan(assessment, kb), "json"), args.repeat)
        print(f"{name:32} {len(plan.trace):7d} {raw_ms:13.2f} {md_ms:7.2f} {(md_ms - raw_ms) / raw_ms:8.0%} "
              f"{json_ms:7.2f} {(json_ms - raw_ms) / raw_ms:8.0%}")


if __name__ == "__main__":
    main()
