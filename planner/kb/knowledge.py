"""Knowledge-base directory -> validated, indexed ``KnowledgeBase`` (cached per directory)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from planner.errors import KnowledgeBaseError
from planner.cache import cache_key, cache_root, mac, private
from planner.resources import data_dir
from planner.reading.vocabulary import Vocabulary, clean

# file (relative to the knowledge-base directory) -> schema definition that checks it
FILES = {
    "kb.yaml": "manifest",
    "sources.yaml": "sources",
    "parameters.yaml": "parameters",
    "regions.yaml": "regions",
    "functions.yaml": "functions",
    "activities.yaml": "activities",
    "doses.yaml": "doses",
    "vocabulary.yaml": "vocabulary",
    "strengths.yaml": "strengths",
}
RULES_GLOB = "rules/*.yaml"
DIGESTED_TOO = ("plain_language.yaml", "decisions.yaml")     # read by planner.kb.explain.side_table
_CACHE = {}


@dataclass(repr=False, eq=False)
class KnowledgeBase:
    """Everything seqplan knows, indexed by id. Built only by ``load_knowledge_base``."""

    directory: Path
    name: str
    version: str
    digest: str
    six_rs: list
    layers: list
    input_facts: dict
    concluded_facts: dict     # kind -> {fields, read_by}: what the planner reads of the rules' conclusions
    sources: dict
    parameters: dict          # id -> full entry
    regions: dict             # id -> entry, bottom-up
    phases: dict
    bands: dict
    periods: dict
    functions: dict           # id -> entry, catalogue order
    activities: dict          # id -> entry, catalogue order (the rank)
    doses: dict
    strength_uses: dict       # function id -> how a strength in it shapes delivery
    dose_gives: dict          # phase -> {r: how the phase's dose gives it}
    tag_words: Vocabulary     # interests and avoid words -> tags
    role_words: Vocabulary    # team words -> roles
    setting_words: Vocabulary # settings words -> settings
    rules: dict               # id -> rule, in file order
    rule_files: dict = field(default_factory=dict)   # rule id -> relative file
    brief_sections: int | None = None                # how many sections the cited domain brief has
    concern_words: Vocabulary = None  # context.concerns words -> concern ids
    styles: dict = field(default_factory=dict)       # how maps and charts draw bands and lines
    side_tables: dict = field(default_factory=dict)  # DIGESTED_TOO file -> its parsed content
    aside_words: Vocabulary = None    # meaningful asides in brackets -> aside ids
    service_words: Vocabulary = None  # team words naming a service -> referral ids
    noted_words: frozenset = frozenset()  # specific dislikes no activity involves (shown as noted)

    def __repr__(self):
        return f"<KnowledgeBase {self.name} {self.version} {self.digest[:19]} at {self.directory}>"

    @cached_property
    def rank(self):
        """Catalogue order of activities and functions (the tie-break of a plan's steps)."""
        return {ident: i for table in (self.activities, self.functions) for i, ident in enumerate(table)}

    @cached_property
    def region_order(self):
        return {rid: r["order"] for rid, r in self.regions.items()}

    # Built once: a knowledge base does not change once loaded, and these are read on every
    # step of every plan (the parameters about 90 times a plan).
    @cached_property
    def active_rules(self):
        return [r for r in self.rules.values() if r["status"] == "active"]

    @cached_property
    def parameter_values(self):
        return {pid: p["value"] for pid, p in self.parameters.items()}

    @property
    def fact_kinds(self):
        """Every fact kind the engine can see: the input kinds and every concluded kind."""
        kinds = set(self.input_facts)
        for rule in self.active_rules:
            kinds.update(t["fact"] for t in rule["then"])
        return kinds

    def label(self, ident):
        """A human label for any catalogue id; the id itself when it has none."""
        for table, key in ((self.functions, "label"), (self.regions, "label"), (self.activities, "name"),
                           (self.phases, "label"), (self.bands, "label"), (self.periods, "label")):
            if ident in table:
                return table[ident][key]
        return str(ident)

    def cite(self, citation):
        """'perry2009#4' -> a readable reference with the brief's section."""
        source_id, _, section = citation.partition("#")
        source = self.sources[source_id]
        return f"{source['citation']} [{source['label']}; domain brief section {section}]"


# durable-rules limits (the shared engineering notes, durable-rules.md): every rule of a layer
# shares the layer's control-fact test; about 128 rules sharing a test abort the process
# in delete_state, and a layer of 256 or more fails ruleset creation (error 108).
MAX_RULES_PER_LAYER = 120
MAX_KB_FILE_BYTES = 8 * 1024 * 1024


def _read_bytes(directory, rel):
    """The bytes of one knowledge-base file (a regular file, bounded): one-line errors."""
    from planner.reading.safeload import LoadProblem, read_bytes

    if (directory / rel).is_symlink():     # it could show (in an error) a file from anywhere
        raise KnowledgeBaseError(f"{directory / rel}: is a symbolic link (a knowledge base's files are its own: "
                                 "copy the file in)")
    try:
        return read_bytes(directory / rel, MAX_KB_FILE_BYTES)
    except LoadProblem as exc:
        raise KnowledgeBaseError(f"{directory / rel}: {exc.problem}" + (f" ({exc.fix})" if exc.fix else "")) from None


def read_table(path, raw):
    """Parse one knowledge-base file already read as ``raw`` bytes, strictly: YAML 1.2
    numbers, no aliases, no duplicate keys, numbers the engine can take."""
    from planner.reading.safeload import LoadProblem, decode, parse_yaml

    try:
        return parse_yaml(decode(raw))[0]
    except LoadProblem as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        field = f" {exc.field}:" if exc.field else ""
        raise KnowledgeBaseError(f"{where}:{field} {exc.problem}" + (f" ({exc.fix})" if exc.fix else "")) from None


def _read_yaml(path, raw, schema, definition):
    """``read_table``, then checked against the schema's ``definition``."""
    import jsonschema

    data = read_table(path, raw)
    validator = jsonschema.Draft202012Validator({"$ref": f"#/$defs/{definition}", "$defs": schema["$defs"]})
    error = next(iter(sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))), None)
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        # jsonschema's message quotes the whole value: a file's worth of text at the top level
        message = error.message if len(error.message) <= 200 else (
            f"must be {error.validator_value} (got {len(str(error.instance))} characters of something else)"
            if error.validator == "type" else f"fails its '{error.validator}' check")
        raise KnowledgeBaseError(f"{path}: {where}: {message}")
    return data


# --- A cache of the parsed, schema-checked files, keyed by the knowledge base's digest ----
# Parsing and schema-checking the YAML is most of a cold start. The cache holds JSON only
# (never code), in a directory only the user can read (``$SEQPLAN_CACHE_DIR``, else
# ``$XDG_CACHE_HOME/seqplan`` or ``~/.cache/seqplan``; ``SEQPLAN_CACHE_DIR=`` turns it off).
# A cache is trusted only if it is private: a directory (or entry, or key) owned by another
# user or writable by others is ignored, with one warning. Each entry carries an HMAC under
# a random key kept in that directory (mode 0600), so an entry rewritten with a recomputed
# checksum (a poisoned parameter, a changed justification) fails and is rebuilt, never used.
# Its key covers every file's bytes, the schema and the loader's own code, so any change
# misses it. An entry is written only once the whole load has passed, with which fields
# each rule's justification reads, so a cached load skips parsing those templates (each is
# parsed on its first render, in the same sandbox). References and layer limits are checked
# on every load, cache or not. A cache that cannot be read or written is ignored.

def _cache_file(digest, schema_bytes):
    root = cache_root()
    if root is None:
        return None
    from planner.version import __version__
    from planner.kb import explain
    from planner.reading import safeload

    sha = hashlib.sha256(f"{digest}\0{__version__}\0".encode() + schema_bytes)
    for module in (__file__, safeload.__file__, explain.__file__):
        with open(module, "rb") as handle:
            sha.update(handle.read())
    return Path(root) / f"kb-{sha.hexdigest()[:32]}.json"


def _read_cache(path, files):
    """(parsed files, checked templates), or None when missing, damaged, not authenticated
    by this user's key, or not these files."""
    import hmac
    import os

    if path is None or not os.path.lexists(path):
        return None
    key = cache_key(str(path.parent), create=False)
    try:
        if key is None or not private(path):
            return None
        with open(path, "rb") as handle:
            header, _, payload = handle.read().partition(b"\n")
        entry = json.loads(header)
        if entry.get("key") != path.stem or not hmac.compare_digest(str(entry.get("hmac")), mac(key, payload)):
            return None
        entry = json.loads(payload, object_hook=_decode_pairs)
        parsed, checked = entry["files"], entry["because"]
        ok = isinstance(parsed, dict) and sorted(parsed) == sorted(files) and isinstance(checked, dict)
        return (parsed, checked) if ok else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


_PAIRS = "\0pairs"     # a mapping with keys that are not text (functions.yaml's rating: {0: ..})


def _encode(value):
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {_PAIRS: [[k, _encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode_pairs(mapping):
    """``json.loads`` object hook: undo ``_encode``'s pairs (called once per mapping, in C order)."""
    return dict(mapping[_PAIRS]) if len(mapping) == 1 and _PAIRS in mapping else mapping


def _write_cache(path, parsed, checked):
    from planner.files import replace_atomically

    if path is None:
        return
    try:
        key = cache_key(str(path.parent), create=True)
        if key is None:
            return
        payload = json.dumps({"files": _encode(parsed), "because": checked}, ensure_ascii=False).encode("utf-8")
        header = json.dumps({"key": path.stem, "hmac": mac(key, payload)})
        replace_atomically(path, header.encode("ascii") + b"\n" + payload)
    except OSError:
        pass


def _by_id(items, what, path, key="id"):
    table = {}
    for item in items:
        if item[key] in table:
            raise KnowledgeBaseError(f"{path}: duplicate {what} '{item[key]}'")
        table[item[key]] = item
    return table


def digest_files(raw):
    """sha256 over every file of {relative name: bytes}, in the order given: the form of each
    digest stamped on a plan (the knowledge base's, and planner.presentation's)."""
    sha = hashlib.sha256()
    for rel, data in raw.items():
        sha.update(rel.encode() + b"\0" + data + b"\0")
    return "sha256:" + sha.hexdigest()


def _side_tables(parsed, worded):
    """The side tables (DIGESTED_TOO) as loaded; for one the directory lacks, the bundled
    one (a knowledge base passed with --kb need not carry one)."""
    bundled = data_dir("knowledge_base")
    return {rel: parsed[rel] if rel in worded else read_table(bundled / rel, _read_bytes(bundled, rel))
            for rel in DIGESTED_TOO}


def load_knowledge_base(directory=None):
    """Load and validate the knowledge base in ``directory`` (default: the bundled one)."""
    directory = Path(directory) if directory else data_dir("knowledge_base")
    rule_files = sorted(p.relative_to(directory).as_posix() for p in directory.glob(RULES_GLOB))
    files = sorted(FILES) + rule_files
    missing = [f for f in FILES if not (directory / f).is_file()]
    if missing:
        raise KnowledgeBaseError(f"{directory}: not a seqplan knowledge base (missing {', '.join(missing)})")
    raw = {rel: _read_bytes(directory, rel) for rel in files}     # each file read once
    # The plain-language table puts words into justifications and handouts: the digest stamped on
    # every plan covers it too, so changed wording can never hide under the same digest.
    worded = {rel: _read_bytes(directory, rel) for rel in DIGESTED_TOO if (directory / rel).is_file()}
    # a side table the directory lacks is the bundled one (_side_tables): the digest covers the table used
    bundled = data_dir("knowledge_base")
    used = {rel: worded[rel] if rel in worded else _read_bytes(bundled, rel) for rel in DIGESTED_TOO}
    digest = digest_files(dict(sorted({**raw, **used}.items())))
    cached = _CACHE.get((str(directory.resolve()), digest))
    if cached:
        return cached
    schema_bytes = (data_dir("schemas") / "knowledge-base.schema.json").read_bytes()
    cache_file = _cache_file(digest, schema_bytes)
    # the side tables are parsed once too, and kept in the cache entry with the rest
    parsed, checked = _read_cache(cache_file, files + sorted(worded)) or (None, None)
    if parsed is None:
        schema = json.loads(schema_bytes)
        parsed = {rel: _read_yaml(directory / rel, raw[rel], schema, FILES.get(rel, "rules")) for rel in files}
        parsed.update({rel: read_table(directory / rel, data) for rel, data in worded.items()})
    data = {rel: parsed[rel] for rel in FILES}
    rules, owners = {}, {}
    for rel in rule_files:
        for rule in parsed[rel]["rules"]:
            if rule["id"] in rules:
                raise KnowledgeBaseError(f"{directory / rel}: duplicate rule id '{rule['id']}' (also in {owners[rule['id']]})")
            rules[rule["id"]] = rule
            owners[rule["id"]] = rel
    manifest, regions, vocabulary = data["kb.yaml"], data["regions.yaml"], data["vocabulary.yaml"]
    kb = KnowledgeBase(
        directory=directory,
        name=manifest["name"],
        version=manifest["version"],
        digest=digest,
        six_rs=manifest["six_rs"],
        layers=manifest["layers"],
        input_facts=manifest["input_facts"],
        concluded_facts=manifest.get("concluded_facts", {}),
        sources=_by_id(data["sources.yaml"]["sources"], "source", "sources.yaml"),
        parameters=_by_id(data["parameters.yaml"]["parameters"], "parameter", "parameters.yaml"),
        regions=_by_id(sorted(regions["regions"], key=lambda r: r["order"]), "region", "regions.yaml"),
        phases=_by_id(sorted(regions["phases"], key=lambda p: p["order"]), "phase", "regions.yaml"),
        bands=_by_id(regions["bands"], "band", "regions.yaml"),
        styles=regions.get("styles", {}),
        periods=_by_id(regions["periods"], "period", "regions.yaml"),
        functions=_by_id(data["functions.yaml"]["functions"], "function", "functions.yaml"),
        activities=_by_id(data["activities.yaml"]["activities"], "activity", "activities.yaml"),
        doses=_by_id(data["doses.yaml"]["doses"], "dose", "doses.yaml"),
        strength_uses=_by_id(data["strengths.yaml"]["strength_uses"], "strength use", "strengths.yaml", key="function"),
        dose_gives=data["doses.yaml"]["gives"],
        **{f"{kind[:-1]}_words": Vocabulary.build(vocabulary.get(kind, {}), vocabulary.get("ignore_prefixes", ()),
                                                  vocabulary.get("joiners", ()))
           for kind in ("tags", "roles", "settings", "concerns", "asides", "services")},
        noted_words=frozenset(clean(w) for w in vocabulary.get("noted", ())),
        rules=rules,
        rule_files=owners,
        brief_sections=manifest.get("brief_sections"),
        side_tables=_side_tables(parsed, worded),
    )
    for rule in kb.rules.values():
        if rule["layer"] not in kb.layers:
            raise KnowledgeBaseError(f"{owners[rule['id']]}: rule {rule['id']}: unknown layer '{rule['layer']}' "
                                     f"(layers: {', '.join(kb.layers)})")
    for layer in kb.layers:
        count = sum(r["layer"] == layer for r in kb.active_rules)
        if count > MAX_RULES_PER_LAYER:
            raise KnowledgeBaseError(f"{directory}: layer '{layer}' has {count} active rules: the rule engine "
                                     f"crashes above about {MAX_RULES_PER_LAYER} rules in one layer "
                                     "(split the layer in kb.yaml)")
    from planner.reasoning.compiler import MAX_SHARING_A_TEST, most_shared_test

    # (a cache entry exists only for files that passed this once: they are not counted again)
    shared, test = most_shared_test(kb.active_rules, kb.parameter_values) if checked is None else (0, None)
    if shared > MAX_SHARING_A_TEST:
        raise KnowledgeBaseError(f"{directory}: {shared} active rules share the pattern test {test}: the rule engine "
                                 f"fails above about {MAX_SHARING_A_TEST} (give the rules distinct tests, or fewer)")
    from planner.kb.explain import compile_all

    if checked is None:
        _write_cache(cache_file, parsed, compile_all(kb))
    else:
        compile_all(kb, checked)
    _CACHE[(str(directory.resolve()), digest)] = kb
    return kb
