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

from planner.reasoning.compiler import LAYER_KIND, compile_ruleset, unbounded_joins
from planner.errors import EngineError
from planner.reasoning.facts import catalogue_counts, fact_id

_SIDS = itertools.count(1)
# Bounds on one evaluation, so that a knowledge base from elsewhere cannot run a plan for
# ever: each a setting (environment variable) with a default far above a bundled plan's
# (about 650 firings, 1,400 facts and 40 ms). Exceeding one ends the plan with one line
# naming the rule that was firing.
LIMITS = {"firings": ("SEQPLAN_MAX_FIRINGS", 20_000), "facts": ("SEQPLAN_MAX_FACTS", 50_000),
          "seconds": ("SEQPLAN_MAX_ENGINE_SECONDS", 30.0)}


def limits():
    """{name: bound} from the environment, else the defaults (a bad value is the default)."""
    import os

    out = {}
    for name, (variable, default) in LIMITS.items():
        try:
            out[name] = type(default)(os.environ.get(variable, default))
        except ValueError:
            out[name] = default
    return out

# durable-rules' C core is not thread-safe: creating a ruleset twice breaks later calls,
# and concurrent sessions crash it. One lock serialises compile and every evaluation
# (threads gave no speed-up anyway: the GIL and the C core).
_LOCK = threading.RLock()


@dataclass(slots=True)
class Firing:
    """One rule firing: the audit unit of a plan."""

    n: int
    rule: str
    matched: dict          # pattern name -> fact
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


class _Session:
    """Working memory bookkeeping for one sid."""

    def __init__(self, sid, catalogue):
        import time

        self.sid, self.facts, self.trace, self.producers = sid, {}, [], {}
        self.by_n = []
        self.catalogue = catalogue          # the catalogue's facts, numbered from CATALOGUE_BASE
        self.limits = limits()
        self.deadline = time.process_time() + self.limits["seconds"]

    def check(self, rule_id):
        """Stop the evaluation, naming the rule, once it passes one of its bounds."""
        import time

        for name, used in (("firings", len(self.trace)), ("facts", len(self.facts))):
            if used > self.limits[name]:
                self._stop(rule_id, f"{used} {name}", name)
        # reading the process's CPU clock is a system call (about 15 us): every 64th firing
        if not len(self.trace) % 64 and time.process_time() > self.deadline:
            self._stop(rule_id, f"{self.limits['seconds']:g} s of CPU", "seconds")

    def _stop(self, rule_id, what, name):
        raise EngineError(f"rule {rule_id}: the plan was stopped after {what}, more than this knowledge base "
                          f"should ever need (a rule that concludes without end?); {LIMITS[name][0]} sets the limit")

    def handover(self, fact):
        """The copy of ``fact`` the C core stores. Its id is the fact's number in this
        session: an explicit id avoids durable-rules' 32-bit content hash (which can
        collide), and a short one keeps the JSON that crosses into C small (ids are
        about half of a fact's text). Matched facts are mapped back by that number."""
        self.by_n.append(fact)
        return dict(fact, id=len(self.by_n) - 1, sid=self.sid)

    def fact(self, n):
        """The fact the C core numbered ``n``."""
        return self.by_n[n] if n < CATALOGUE_BASE else self.catalogue[n - CATALOGUE_BASE]


def _core():
    """durable-rules' C core, imported on first use (``seqplan --help`` must not load it)."""
    import durable_rules_engine

    return durable_rules_engine


def _json():
    """(encode, decode) for the crossing into and out of the C core: orjson, falling back to
    the standard library for what orjson refuses (integers wider than 64 bits)."""
    import json

    import orjson

    slow = json.JSONEncoder(ensure_ascii=False).encode

    def encode(value):
        try:
            return orjson.dumps(value).decode("utf-8")
        except TypeError:
            return slow(value)

    return encode, orjson.loads


CATALOGUE_BASE = 1 << 40     # the catalogue's facts are numbered from here, the same in every session
_SID = "\u0000sid\u0000"    # where each session's id goes in the catalogue's encoded facts

# Result codes of the C core's assert calls (durable/engine.py, Ruleset._handle_result).
_NOT_HANDLED, _OBSERVED = 1, 2


class CompiledKnowledge:
    """A knowledge base compiled into one durable-rules ruleset, created once.

    The C core is driven directly instead of through durable-rules' Python Host: the Host
    starts timer threads that race with callers, and per firing it builds closures and
    proxies, re-encodes the session state and reads a clock, which together cost more than
    the matching itself. The loop below does what ``Ruleset.do_actions`` does for a
    synchronous action, minus that bookkeeping: same agenda, same firings, same trace.
    """

    name_prefix = "seqplan_"

    def __init__(self, kb):
        from planner.reasoning.facts import catalogue_facts

        self.kb = kb
        self._core = _core()
        self.layers = list(kb.layers)
        self.name = self.name_prefix + kb.digest.split(":")[-1][:16]
        definitions, self.rules = compile_ruleset(kb.active_rules, self.layers, kb.parameter_values, kb.fact_kinds)
        joins = unbounded_joins(kb.active_rules, catalogue_counts(kb))
        if joins:
            raise EngineError(f"knowledge base {kb.name} {kb.version}: {joins[0]}")
        # Conclusions of a kind no rule's pattern reads stay in Python: they keep their place
        # in the facts, the trace and the producers, but the C core never has to store them.
        self.unread = self.unread_kinds(kb)
        self._actions = {rule_id: self._action(self.rules[rule_id]) if rule_id in self.rules else _never_runs
                         for rule_id in definitions}
        self._encode, self._decode = _json()
        # The catalogue's facts are the same for every assessment: encoded once, with fixed
        # numbers, and only the session id spliced in.
        self.catalogue = catalogue_facts(kb)
        self._catalogue_ids = {f["id"] for f in self.catalogue}
        self._catalogue_json = self._encode([dict(f, id=CATALOGUE_BASE + n, sid=_SID)
                                             for n, f in enumerate(self.catalogue)])[1:-1]
        self._session = None
        self._handle = self._core.create_ruleset(self.name, self._encode(definitions))

    @staticmethod
    def unread_kinds(kb):
        """The fact kinds no active rule's pattern names (positive or negated)."""
        return set(kb.fact_kinds) - {p["fact"] for r in kb.active_rules for p in r["when"].values()}

    def _action(self, rule):
        """Wrap a rule's conclusions in a closure that records the firing."""
        unread = self.unread

        def run(message):
            session = self._session
            matched = {name: session.fact(fact["id"]) for name, fact in message.items() if name != "_layer"}
            concluded = []
            index = len(session.trace)
            for fact in rule.conclusions(matched):
                fact["id"] = fid = fact_id(fact)
                if fid in session.facts:
                    continue
                session.facts[fid] = fact
                session.producers[fid] = index
                concluded.append(fid)
                if fact["kind"] not in unread:
                    self._assert(self._core.assert_fact, session.handover(fact), rule.id)
            session.trace.append(Firing(index + 1, rule.id, matched, concluded))
            session.check(rule.id)

        return run

    def _assert(self, call, payload, by=None, encoded=None):
        """Hand facts to the C core; a fact no rule consumes is an error, not a silent drop."""
        code, state = call(self._handle, encoded or self._encode(payload))
        if code in (_NOT_HANDLED, _OBSERVED):
            where = f"rule {by} concluded" if by else "input has"
            raise EngineError(f"knowledge base {self.kb.name} {self.kb.version}: {where} a fact no rule "
                              f"consumes or one already stored: {payload}")
        return state

    def _run_agenda(self, state):
        """Fire every action the assertion put on the agenda, in the engine's order."""
        core = self._core
        started = core.start_action_for_state(self._handle, state)
        if not started:
            return
        decode, actions = self._decode, self._actions
        message = started[1]
        while message:
            for name, matched in decode(message).items():
                try:
                    actions[name](matched)
                except EngineError:
                    core.abandon_action(self._handle, state)
                    raise
                except Exception as exc:
                    core.abandon_action(self._handle, state)
                    raise EngineError(f"knowledge base {self.kb.name} {self.kb.version}: rule {name} failed: "
                                      f"{type(exc).__name__}: {exc}") from exc
            message = core.complete_and_start_action(self._handle, state)

    def evaluate(self, facts):
        """Run one session over ``facts`` (dicts with kind and id: the assessment's and the
        catalogue's, as ``build_facts`` gives them); always clean up. The cyclic garbage
        collector waits until the evaluation ends: it only made work of the many small dicts."""
        import gc

        core = self._core
        sid = str(next(_SIDS))
        own = [f for f in facts if f["id"] not in self._catalogue_ids]
        if len(facts) - len(own) != len(self.catalogue):
            raise EngineError("the facts do not hold this knowledge base's catalogue (see build_facts)")
        session = self._session = _Session(sid, self.catalogue)
        collecting = gc.isenabled()
        gc.disable()
        try:
            for fact in facts:
                session.facts[fact["id"]] = fact
            batch = [session.handover(f) for f in own if f["kind"] not in self.unread]
            catalogue = self._catalogue_json.replace(self._encode(_SID), self._encode(sid))
            encoded = "[" + ",".join(part for part in (self._encode(batch)[1:-1], catalogue) if part) + "]"
            self._run_agenda(self._assert(core.assert_facts, None, encoded=encoded))
            for n in range(1, len(self.layers) + 1):
                layer = {"sid": sid, "id": f"{LAYER_KIND}{n}", "kind": LAYER_KIND, "n": n}
                self._run_agenda(self._assert(core.assert_fact, layer))
            return Evaluation(session.facts, session.trace, session.producers)
        finally:
            self._session = None
            core.delete_state(self._handle, sid)
            if collecting:
                gc.enable()


def _never_runs(matched):
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
