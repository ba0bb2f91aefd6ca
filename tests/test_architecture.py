"""The import graph of planner/: data flows one way, so no module and no stage (package)
imports one that imports it back, at module level or inside a function."""
import ast
from pathlib import Path

import planner

ROOT = Path(planner.__file__).parent


def _modules():
    out = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:       # Alembic's revision scripts, loaded by Alembic
            continue
        parts = ("planner",) + path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def import_graph():
    """{module: modules of planner it imports anywhere in its source}."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([node.module] if node.module else []))
                submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules]
                # `from planner import templating` imports the module, not the package's own code
                targets.update(submodules if len(submodules) == len(node.names) else submodules + [base])
            elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["EXPORTS"]:
                # planner.api's table of names imported on first use: each an edge like an import
                targets.update(value.elts[0].value for value in node.value.values)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph):
    """Strongly connected components with more than one member (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _stage(module):
    """planner.plans.why -> planner.plans; planner.api -> planner.api; planner -> planner."""
    return ".".join(module.split(".")[:2])


def test_no_module_imports_one_that_imports_it_back():
    assert _cycles(import_graph()) == []


def test_no_stage_imports_one_that_imports_it_back():
    graph = import_graph()
    stages = {}
    for module, targets in graph.items():
        stages.setdefault(_stage(module), set()).update(_stage(t) for t in targets if _stage(t) != _stage(module))
    assert _cycles(stages) == []


def test_the_web_app_calls_planner_api_only():
    """The web page and the CDS Hooks endpoints are thin layers: besides their own modules and
    seqplan's error types, they reach seqplan through planner.api."""
    graph = import_graph()
    for module in sorted(m for m in graph if m.startswith("planner.web")):
        reached = {t for t in graph[module] if not t.startswith("planner.web")}
        assert reached <= {"planner.api", "planner.errors"}, (module, reached)


def test_the_cycle_finder_finds_a_cycle():
    """The two tests above could pass by finding nothing at all: this one sees a cycle."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = import_graph()
    assert "planner.kb.knowledge" in graph["planner.intake.assessment"]     # a real edge is seen
    assert "planner.trainer.whatif" in graph["planner.api"]                  # and one through EXPORTS
