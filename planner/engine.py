"""The only module that imports durable-rules: compile once, evaluate many sessions.

Each assessment runs in its own session (sid). Layers run in order: the input facts
are asserted in one batch, then each layer's control fact, one call at a time, so a
rule of layer k sees every conclusion of layers < k (see knowledge_base/README.md).
Every firing is recorded: rule id, the facts it matched, the facts it concluded.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

from .compiler import LAYER_KIND, Ref, compile_ruleset
from .errors import EngineError
from .facts import fact_id

_HOST = None
_SIDS = itertools.count(1)
# durable-rules' Host is not thread-safe: registering a ruleset twice breaks every later
# call, and concurrent sessions on one Host crash the C core. One lock serialises compile,
# register and every evaluation (threads gave no speed-up anyway: the GIL and the C core).
_LOCK = threading.RLock()


@dataclass(slots=True)
class Firing:
    """One rule firing: the audit unit of a plan."""

    n: int
    rule: str
    matched: dict          # pattern name -> fact (as the engine stored it, with its sid)
    concluded: list        # ids of facts this firing added

    def to_dict(self):
        """The trace entry of the JSON plan: facts named by id."""
        return {"n": self.n, "rule": self.rule, "matched": {k: f["id"] for k, f in self.matched.items()},
                "concluded": self.concluded}


@dataclass
class Evaluation:
    """What one session concluded, with the trace that explains it."""

    facts: dict            # id -> fact: input facts, then derived ones in the order concluded
    trace: list            # Firing, in firing order
    producers: dict        # fact id -> index into trace of the firing that first concluded it
    _by_kind: dict = None
    _sorted: set = None
    _indexes: dict = field(default_factory=dict)

    def of_kind(self, kind):
        """Facts of one kind, in a stable order (by id)."""
        if self._by_kind is None:
            self._by_kind = {}
            for fact in self.facts.values():
                self._by_kind.setdefault(fact["kind"], []).append(fact)
            self._sorted = set()
        facts = self._by_kind.get(kind, [])
        if kind not in self._sorted:
            facts.sort(key=lambda f: f["id"])
            self._sorted.add(kind)
        return facts

    def index(self, kind, *fields):
        """Facts of one kind grouped by the values of ``fields``: {(v1, v2, ...): [facts]}."""
        key = (kind, fields)
        if key not in self._indexes:
            grouped = self._indexes[key] = {}
            for fact in self.of_kind(kind):
                grouped.setdefault(tuple(fact.get(f) for f in fields), []).append(fact)
        return self._indexes[key]


def _lean_binding(binding):
    """durable-rules' Python binding encodes every fact and state with ``json.dumps(x,
    ensure_ascii=False)``, which builds a new encoder on each call (about 1,400 calls a
    plan), and reads a datetime-based clock on every firing. Give it one reused encoder
    and decoder (the same JSON text) and ``time.time`` (its clock is only compared with
    itself): about -20% CPU per plan, the same trace."""
    import json
    import time
    import types

    encode = json.JSONEncoder(ensure_ascii=False).encode
    binding.json = types.SimpleNamespace(dumps=lambda value, ensure_ascii=False: encode(value),
                                         loads=json.JSONDecoder().decode)
    binding._unix_now = time.time


def _host():
    """One Host per process, without its timer threads (they race with callers)."""
    global _HOST
    if _HOST is None:
        import durable.engine

        _lean_binding(durable.engine)

        class QuietHost(durable.engine.Host):
            def _run(self):
                """No timers or async actions are used: keep the host single-threaded."""

        _HOST = QuietHost()
    return _HOST


class _Session:
    """Working memory bookkeeping for one sid."""

    def __init__(self):
        self.facts, self.trace, self.producers = {}, [], {}


class CompiledKnowledge:
    """A knowledge base compiled into one durable-rules ruleset, registered once."""

    def __init__(self, kb):
        self.kb = kb
        self.layers = list(kb.layers)
        self.name = "seqplan_" + kb.digest.split(":")[-1][:16]
        definitions, self.rules = compile_ruleset(kb.active_rules, self.layers, kb.parameter_values, kb.fact_kinds)
        for rule_id, definition in definitions.items():
            if rule_id in self.rules:
                definition["run"] = self._action(self.rules[rule_id])
            else:
                definition["run"] = _never_runs
        self._sessions = {}
        host = _host()
        if self.name not in host._ruleset_directory:
            host.register_rulesets({self.name: definitions})

    def _action(self, rule):
        """Wrap a rule's conclusion templates in a closure that records the firing."""
        then = rule.then

        def run(c):
            try:
                conclude(c)
            except Exception as exc:   # durable-rules keeps only the message: name the rule in it
                raise EngineError(f"rule {rule.id} failed: {type(exc).__name__}: {exc}") from exc

        def conclude(c):
            session = self._sessions[c.s["sid"]]
            matched = c._m
            del matched["_layer"]
            concluded = []
            index = len(session.trace)
            for template in then:
                fact = {k: (matched[v.pattern][v.field] if isinstance(v, Ref) else v) for k, v in template.items()}
                fact["id"] = fid = fact_id(fact)
                if fid in session.facts:
                    continue
                session.facts[fid] = fact
                session.producers[fid] = index
                concluded.append(fid)
                c.assert_fact(dict(fact))
            session.trace.append(Firing(index + 1, rule.id, matched, concluded))

        return run

    def evaluate(self, facts):
        """Run one session over ``facts`` (dicts with kind and id); always clean up."""
        host = _host()
        sid = str(next(_SIDS))
        session = self._sessions[sid] = _Session()
        try:
            for fact in facts:
                session.facts[fact["id"]] = fact
            host.assert_facts(self.name, [dict(f, sid=sid) for f in facts])
            self._check(host, sid)
            for n in range(1, len(self.layers) + 1):
                host.assert_fact(self.name, {"sid": sid, "id": f"{LAYER_KIND}{n}", "kind": LAYER_KIND, "n": n})
                self._check(host, sid)
            return Evaluation(session.facts, session.trace, session.producers)
        finally:
            del self._sessions[sid]
            host.delete_state(self.name, sid)

    def _check(self, host, sid):
        """durable-rules swallows action exceptions into the session state: surface them."""
        state = host.get_state(self.name, sid)
        if "exception" in state:
            message = str(state["exception"]).split(", traceback")[0].removeprefix("exception caught ")
            raise EngineError(f"knowledge base {self.kb.name} {self.kb.version}: {message}")


def _never_runs(c):
    """Absorber rules never match their second condition."""


_COMPILED = {}


def compiled(kb):
    """The compiled form of ``kb``, cached per process by knowledge-base digest (thread-safe)."""
    with _LOCK:
        if kb.digest not in _COMPILED:
            _COMPILED[kb.digest] = CompiledKnowledge(kb)
        return _COMPILED[kb.digest]


def evaluate(kb, facts):
    """Forward-chain ``facts`` through ``kb``'s rules; returns an ``Evaluation``.
    Safe to call from several threads: evaluations run one at a time."""
    with _LOCK:
        return compiled(kb).evaluate(facts)
