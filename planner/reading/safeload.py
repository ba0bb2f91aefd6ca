"""Reading untrusted YAML and JSON files: bounded, strict, and parsed once.

Shared by assessments (planner.intake.assessment) and knowledge bases (planner.kb.knowledge).

- Only regular files are read (a FIFO, /dev/zero or /dev/urandom is refused, not waited
  on), at most ``MAX_INPUT_BYTES`` of them; UTF-8, with or without a byte-order mark.
- Numbers mean what they mean in JSON and YAML 1.2: ``010``, ``0x0A``, ``1_1``, ``0o7``,
  ``1:20``, ``.5`` or ``.inf`` are refused with the field they are in (YAML 1.1 would read
  ``010`` as 8), never guessed. ``yes``/``no``/``on``/``off`` are text. Dates stay text.
- Every number must be one the rule engine can take: finite, no exponent form when
  printed (durable-rules' C core crashes on ``1e-05``), integers of at most 15 digits.
- YAML aliases (``*name``) are refused: a few hundred bytes of aliases can expand to
  gigabytes. Nesting is limited to ``MAX_DEPTH`` levels; duplicate keys are refused;
  keys must be plain text; only the plain YAML tags are allowed.
- Escaped UTF-16 surrogate pairs (JSON written by Python, read as YAML) are joined;
  a lone surrogate is refused.

Problems raise ``LoadProblem(problem, fix, line, path)``; the caller turns it into its
own error type (``InputError`` or ``KnowledgeBaseError``).
"""
from __future__ import annotations

import json
import math
import os
import re
import stat

MAX_INPUT_BYTES = 4 * 1024 * 1024     # README: "Limits"
MAX_DEPTH = 32                        # the formats nest 4 levels deep
MAX_DIGITS = 15                       # integers the engine stores exactly (below 2**53)
MAX_NUMBER = 10 ** MAX_DIGITS

_JSON_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_JSON_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\Z")
# Anything YAML 1.1 or 1.2 might read as a number that JSON would not: refused, not guessed.
_NUMBER_LIKE = re.compile(r"""[-+]?(?:
      0[xXoObB][0-9a-fA-F_]*
    | [0-9][0-9_]*(?::[0-9_]+)+(?:\.[0-9_]*)?
    | (?=\.?[0-9])[0-9_]*\.?[0-9_]*(?:[eE][-+]?[0-9]+)?
    | \.(?:inf|Inf|INF|nan|NaN|NAN)
    )\Z""", re.X)
_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_NULL = re.compile(r"(?:~|null|Null|NULL|)\Z")
BAD_NUMBER_TAG = "tag:seqplan,2026:bad-number"
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")}


class LoadProblem(Exception):
    """Why a file cannot be read: problem, fix, 1-based line, and the field path."""

    def __init__(self, problem, fix=None, line=None, path=()):
        super().__init__(problem)
        self.problem, self.fix, self.line, self.path = problem, fix, line, tuple(path)

    @property
    def field(self):
        return ".".join(str(p) for p in self.path) or None


class BadNumber:
    """A scalar that looks like a number but is not a JSON/YAML 1.2 decimal, kept until
    its field is known so the message can name it."""

    __slots__ = ("text", "line")

    def __init__(self, text, line=None):
        self.text, self.line = text, line


def read_bytes(path, limit=MAX_INPUT_BYTES):
    """The bytes of a regular file, at most ``limit`` of them; ``LoadProblem`` otherwise.
    Never blocks on a FIFO and never reads an endless device."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise LoadProblem("no such file", "check the path")
    except PermissionError:
        raise LoadProblem("cannot be read (permission denied)", "check the file's permissions")
    except OSError as exc:
        if exc.errno == getattr(__import__("errno"), "ELOOP", None):
            raise LoadProblem("is a loop of symbolic links", "point the path at the file itself")
        raise LoadProblem(f"cannot be read ({exc.strerror})", "check the path")
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise LoadProblem("is a directory, not a file", "pass the file inside it")
        if not stat.S_ISREG(info.st_mode):
            raise LoadProblem("is not a regular file (a pipe, device or socket)", "save it to a file and pass that")
        if info.st_size > limit:
            raise LoadProblem(f"is larger than {limit // (1024 * 1024)} MB", "check that this is the right file")
        chunks, size = [], 0
        while size <= limit:
            try:
                chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            except OSError as exc:
                raise LoadProblem(f"cannot be read ({exc.strerror})", "check the file")
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise LoadProblem(f"is larger than {limit // (1024 * 1024)} MB", "check that this is the right file")
        return b"".join(chunks)
    finally:
        os.close(fd)


def decode(data):
    """UTF-8 text (a leading byte-order mark is dropped); ``LoadProblem`` naming the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise LoadProblem("is not UTF-8 text", "save it as UTF-8", line)


def read_text(path, limit=MAX_INPUT_BYTES):
    return decode(read_bytes(path, limit))


# --- YAML -------------------------------------------------------------------------------

_LOADER = None


def _loader_class():
    """A YAML loader with YAML 1.2 / JSON scalars, libyaml's parser when available."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    base = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

    class Loader(base):
        yaml_implicit_resolvers = {}
        yaml_constructors = dict(yaml.SafeLoader.yaml_constructors)

    for tag, regexp, first in (
            ("tag:yaml.org,2002:bool", _BOOL, list("tTfF")),
            ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
            ("tag:yaml.org,2002:int", _JSON_INT, list("-0123456789")),
            ("tag:yaml.org,2002:float", _JSON_FLOAT, list("-0123456789")),
            (BAD_NUMBER_TAG, _NUMBER_LIKE, list("-+0123456789."))):
        Loader.add_implicit_resolver(tag, regexp, first)

    def number(loader, node):
        text = node.value
        line = node.start_mark.line + 1
        digits = len(text.lstrip("-"))
        if _JSON_INT.match(text) and digits <= MAX_DIGITS:
            return int(text)
        if _JSON_FLOAT.match(text) and digits <= 40:
            return float(text)
        return BadNumber(text, line)

    def mapping(loader, node):
        out = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in out:
                raise LoadProblem("appears twice in the same mapping",
                                  "keep one value: seqplan will not guess which one was meant",
                                  key_node.start_mark.line + 1, (key,))
            out[key] = loader.construct_object(value_node, deep=True)
        return out

    def sequence(loader, node):
        return [loader.construct_object(child, deep=True) for child in node.value]

    for tag in ("int", "float"):
        Loader.add_constructor(f"tag:yaml.org,2002:{tag}", number)
    Loader.add_constructor(BAD_NUMBER_TAG, lambda loader, node: BadNumber(node.value, node.start_mark.line + 1))
    Loader.add_constructor("tag:yaml.org,2002:map", mapping)
    Loader.add_constructor("tag:yaml.org,2002:seq", sequence)
    _LOADER = Loader
    return Loader


def bracket_depth(text, opening="[{", closing="]}"):
    """How deeply ``opening`` brackets nest in ``text``: a cheap guard before a parser that
    recurses once per bracket."""
    depth = deepest = 0
    for char in text:
        if char in opening:
            depth += 1
            deepest = max(deepest, depth)
        elif char in closing:
            depth = max(depth - 1, 0)
    return deepest


def _flow_depth_ok(text):
    """Cheap guard before the parser recurses: flow brackets nested deeper than allowed."""
    return text.count("[") + text.count("{") <= MAX_DEPTH or bracket_depth(text) <= MAX_DEPTH * 2


def _check_nodes(root):
    """Walk the composed YAML graph once (iteratively): aliases, depth, keys, tags.
    Returns {field path: line} for messages about valid syntax."""
    import yaml

    lines, seen = {}, set()
    stack = [(root, (), 1)]
    while stack:
        node, path, depth = stack.pop()
        line = node.start_mark.line + 1
        if id(node) in seen:
            raise LoadProblem("uses a YAML alias (*name)", "write the value out in full: aliases are not accepted",
                              line, path)
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise LoadProblem(f"is nested more than {MAX_DEPTH} levels deep", "check the indentation", line, path)
        if node.tag not in _PLAIN_TAGS and node.tag != BAD_NUMBER_TAG:
            raise LoadProblem(f"uses the tag {node.tag}", "remove the tag: only plain values are accepted",
                              line, path)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if id(key) in seen or not isinstance(key, yaml.ScalarNode):
                    raise LoadProblem("has a key that is not plain text", "write each key as a plain word",
                                      key.start_mark.line + 1, path)
                seen.add(id(key))
                sub = path + (key.value,)
                lines[sub] = key.start_mark.line + 1
                stack.append((value, sub, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[path + (i,)] = item.start_mark.line + 1
                stack.append((item, path + (i,), depth + 1))
    return lines


def parse_yaml(text):
    """(data, {field path: line}); ``LoadProblem`` for anything refused."""
    import yaml

    if not _flow_depth_ok(text):
        raise LoadProblem(f"is nested more than {MAX_DEPTH} levels deep", "check the brackets")
    loader = _loader_class()(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, {}
        lines = _check_nodes(root)
        data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise LoadProblem(f"invalid YAML: {problem}", "fix the syntax at that line", mark.line + 1 if mark else None)
    except RecursionError:
        raise LoadProblem(f"is nested more than {MAX_DEPTH} levels deep", "check the indentation")
    except TypeError as exc:    # a key that cannot be a key (a mapping or list used as a key)
        raise LoadProblem(f"invalid YAML: {exc}", "write each key as a plain word")
    finally:
        loader.dispose()
    return check_values(data, lines), lines


# --- JSON -------------------------------------------------------------------------------

def _json_pairs(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise LoadProblem("appears twice in the same mapping",
                              "keep one value: seqplan will not guess which one was meant", None, (key,))
        out[key] = value
    return out


def _json_int(text):
    return int(text) if len(text.lstrip("-")) <= MAX_DIGITS else BadNumber(text)


def _json_float(text):
    return float(text) if len(text) <= 40 else BadNumber(text)


def parse_json(text):
    """Parsed JSON data (lines are not tracked: JSON errors carry their own)."""
    try:
        data = json.loads(text, object_pairs_hook=_json_pairs, parse_int=_json_int, parse_float=_json_float,
                          parse_constant=BadNumber)
    except json.JSONDecodeError as exc:
        raise LoadProblem(f"invalid JSON: {exc.msg}", "fix the syntax at that line", exc.lineno)
    except RecursionError:
        raise LoadProblem(f"is nested more than {MAX_DEPTH} levels deep", "check the brackets")
    return check_values(data, {})


# --- values -----------------------------------------------------------------------------

def _join_surrogates(text):
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return None


def _engine_number(value):
    """Whether the rule engine can take this number as written (no exponent form)."""
    if isinstance(value, bool) or isinstance(value, int):
        return abs(value) < MAX_NUMBER
    return math.isfinite(value) and abs(value) < MAX_NUMBER and "e" not in repr(value)


def check_values(data, lines):
    """Refuse bad numbers, over-deep nesting and lone surrogates, naming the field;
    returns the data with surrogate pairs joined."""
    def where(path):
        for n in range(len(path), -1, -1):
            if path[:n] in lines:
                return lines[path[:n]]
        return None

    def clean(value, path, depth):
        if depth > MAX_DEPTH:
            raise LoadProblem(f"is nested more than {MAX_DEPTH} levels deep", "check the brackets",
                              where(path), path[:MAX_DEPTH])
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                fixed = clean(key, path + (key,), depth) if isinstance(key, str) else key
                if isinstance(key, BadNumber) or not isinstance(fixed, (str, int, float, type(None))):
                    raise LoadProblem("has a key that is not plain text", "write each key as a plain word",
                                      where(path), path)
                out[fixed] = clean(item, path + (fixed,), depth + 1)
            return out
        if isinstance(value, list):
            return [clean(item, path + (i,), depth + 1) for i, item in enumerate(value)]
        if isinstance(value, BadNumber):
            shown = value.text if len(value.text) <= 24 else value.text[:20] + "..."
            raise LoadProblem(f"'{shown}' is not a plain decimal number",
                              "write digits without leading zeros, underscores or a 0x/0o prefix "
                              "(e.g. 10), or put it in quotes if it is text", value.line or where(path), path)
        if isinstance(value, (int, float)) and not _engine_number(value):
            raise LoadProblem(f"{value!r} is not a number seqplan can plan with",
                              f"write a plain decimal such as 9.5: 0, or from 0.0001 up to below 10^{MAX_DIGITS}",
                              where(path), path)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                joined = _join_surrogates(value)
                if joined is None:
                    raise LoadProblem("contains an invalid character (a lone UTF-16 surrogate)",
                                      "save the file as UTF-8 text", where(path), path)
                return joined
        return value

    return clean(data, (), 1)


def parse(text, json_syntax):
    """(data, lines) of YAML or JSON text."""
    if json_syntax:
        return parse_json(text), None
    if text.lstrip().startswith("{"):
        # JSON saved as .yaml (JSON is YAML): read as JSON, so escapes such as the surrogate
        # pairs Python's json.dumps writes for an emoji mean what they mean in JSON
        try:
            return parse_json(text), None
        except LoadProblem as exc:
            if not exc.problem.startswith("invalid JSON"):
                raise
    return parse_yaml(text)
