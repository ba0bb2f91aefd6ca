"""How long planning one assessment takes, and how much of it is seqplan's own work.

CPU time (time.process_time), not wall clock: on a shared machine other people's work
does not count. All variants run in one process and are alternated (each round runs
every variant once, in a rotating order), so a slow spell hits them alike.

Variants, per bundled example:
- "raw engine": the same compiled rules, input facts and engine loop with bare actions
  that only assert their conclusions (no trace, no bookkeeping): the engine's own cost.
- "md": load the assessment file (read, parse, validate) + make_plan + the Markdown plan
  (what `seqplan plan` prints);
- "json": the same with the JSON plan, which also serialises the full trace and facts.
Overhead = (seqplan - raw engine) / raw engine.

Then, once: loading the knowledge base (cache cleared), and in fresh interpreters the
cold `seqplan plan EXAMPLE --format json` against the import floor (durable-rules,
jinja2, PyYAML, click), as CPU time of the child process.

    python benchmarks/plan_speed.py [--repeat 30] [--cold 5]
"""
import argparse
import resource
import statistics
import subprocess
import sys
import time

from planner.kb import knowledge
from planner.intake.assessment import load_assessment
from planner.reasoning.engine import CompiledKnowledge
from planner.intake.examples import example_paths
from planner.reasoning.facts import build_facts, fact_id
from planner.kb.knowledge import load_knowledge_base
from planner.plans.planning import make_plan
from planner.outputs.render import render_plan


class RawKnowledge(CompiledKnowledge):
    """The same compiled rules and engine loop with the cheapest action that still chains:
    conclusions are asserted (once each), nothing is recorded for the trace."""

    name_prefix = "raw_"

    def _action(self, rule):
        core = self._core

        def run(message):
            session = self._session
            for fact in rule.conclusions(message):
                fid = fact_id(fact)
                if fid not in session.facts:
                    session.facts[fid] = fact
                    self._assert(core.assert_fact, session.handover(fact), rule.id)

        return run


def raw_engine(kb):
    return RawKnowledge(kb).evaluate


def cpu_ms(fn):
    start = time.process_time()
    fn()
    return (time.process_time() - start) * 1000


def alternated(variants, repeat):
    """Median CPU ms of each variant, the variants interleaved round by round."""
    times = {name: [] for name in variants}
    names = list(variants)
    for i in range(repeat):
        order = names[i % len(names):] + names[:i % len(names)]
        for name in order:
            times[name].append(cpu_ms(variants[name]))
    return {name: statistics.median(t) for name, t in times.items()}


def child_cpu_ms(argv):
    """CPU time (user + system) of one fresh child process running ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000


def cold_start(repeat):
    """As installed: pip compiles the package's bytecode when it installs it, so compile it
    here too (this machine sets PYTHONDONTWRITEBYTECODE, which would otherwise make every
    cold start recompile seqplan's modules from source)."""
    import compileall
    import planner

    compileall.compile_dir(planner.__path__[0], quiet=1)
    example = next(iter(example_paths()))
    floor = [sys.executable, "-c", "import durable.lang, jinja2, yaml, click"]
    runs = {"import floor": floor}
    for fmt in ("md", "json"):
        runs[f"`seqplan plan EXAMPLE --format {fmt}`"] = [sys.executable, "-m", "planner.cli", "plan", example,
                                                         "--format", fmt]
    times = {name: [] for name in runs}
    for _ in range(repeat):          # alternated
        for name, argv in runs.items():
            times[name].append(child_cpu_ms(argv))
    return {k: statistics.median(v) for k, v in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="rounds per example (default 30)")
    parser.add_argument("--cold", type=int, default=5, help="fresh interpreters for the cold start (default 5)")
    args = parser.parse_args()
    kb = load_knowledge_base()
    raw = raw_engine(kb)
    print(f"CPU ms, medians of {args.repeat} alternated rounds")
    print(f"{'example':32} {'firings':>7} {'facts':>6} {'raw engine':>10} {'md':>7} {'overhead':>8} "
          f"{'json':>7} {'overhead':>8}")
    medians = {"raw": [], "md": [], "json": []}
    for name, path in example_paths().items():
        plan = make_plan(load_assessment(path, kb), kb)   # warm caches (compiled ruleset, templates)
        facts = build_facts(load_assessment(path, kb), kb)
        result = alternated({
            "raw": lambda: raw(facts),
            "md": lambda: render_plan(make_plan(load_assessment(path, kb), kb), "md"),
            "json": lambda: render_plan(make_plan(load_assessment(path, kb), kb), "json"),
        }, args.repeat)
        for key in medians:
            medians[key].append(result[key])
        print(f"{name:32} {len(plan.trace):7d} {len(plan.facts):6d} {result['raw']:10.2f} {result['md']:7.2f} "
              f"{(result['md'] - result['raw']) / result['raw']:8.0%} {result['json']:7.2f} "
              f"{(result['json'] - result['raw']) / result['raw']:8.0%}")
    print(f"{'median over examples':32} {'':7} {'':6} {statistics.median(medians['raw']):10.2f} "
          f"{statistics.median(medians['md']):7.2f} {'':8} {statistics.median(medians['json']):7.2f}")

    loads = []
    for _ in range(5):
        knowledge._CACHE.clear()
        loads.append(cpu_ms(load_knowledge_base))
    print(f"\nload the knowledge base (cache cleared): {statistics.median(loads):.0f} CPU ms (median of 5)")
    if args.cold:
        cold = cold_start(args.cold)
        floor = cold.pop("import floor")
        print(f"cold start, CPU ms of the child (median of {args.cold}, compiled templates kept in the cache): "
              f"import floor {floor:.0f}; " + "; ".join(f"{name} {ms:.0f} ({ms / floor:.1f}x the floor)"
                                                        for name, ms in cold.items()))


if __name__ == "__main__":
    main()
