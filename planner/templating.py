"""The Jinja environment of every output, over templates/: one loader, one set of filters,
one bytecode cache, in two flavours. ``text()`` renders Markdown, JSON, CSV and YAML (values
are made inert by the ``md`` filter where they need it); ``html()`` escapes every value, for
HTML and SVG. Shared macros (objective.j2, hypothetical.j2, deferred.j2) are compiled once
per flavour, so they escape inside HTML and not inside Markdown.

A knowledge base's own ``because`` templates are not rendered here: they may come from
elsewhere and run in ``planner.kb.explain``'s sandbox.
"""
from __future__ import annotations

import json
import re

_ENVIRONMENTS = {}


def text():
    """The environment of Markdown, JSON, CSV, YAML and plain-text outputs."""
    return _environment(False)


def html():
    """The environment of HTML and SVG outputs: every value from the input is escaped."""
    return _environment(True)


def _environment(autoescape):
    """Built once per flavour and process. Compiled templates are kept between runs (Jinja's
    bytecode cache, in seqplan's cache directory, used only while that directory is this
    user's alone): compiling the plan and report templates was most of a cold start. A
    changed template misses the cache (it is keyed by the template's source); so does a
    changed set of filters (compiled code depends on how each filter is called)."""
    if autoescape not in _ENVIRONMENTS:
        import hashlib
        import os

        import jinja2

        from planner.cache import cache_root, private_dir
        from planner.resources import data_dir

        filters = dict(pretty_json=pretty_json, md=md_text, label=jinja2.pass_context(_label),
                       source_id=source_id, css_string=css_string, words=join_words, csv_row=csv_row)
        signature = repr(sorted((name, str(getattr(f, "jinja_pass_arg", ""))) for name, f in filters.items()))
        root = cache_root()
        folder = "templates-" + hashlib.sha256(signature.encode()).hexdigest()[:16]
        cached = private_dir(os.path.join(root, folder)) if root and private_dir(root) else None
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
                                 bytecode_cache=jinja2.FileSystemBytecodeCache(cached) if cached else None,
                                 undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                 keep_trailing_newline=True, autoescape=autoescape)
        env.filters.update(filters)
        _ENVIRONMENTS[autoescape] = env
    return _ENVIRONMENTS[autoescape]


def _label(context, ident):
    """``x | label``: the catalogue label, from the ``label`` function the template was given."""
    return context["label"](ident)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")


def md_text(value):
    """A value from the input, as inert Markdown text on one line: whitespace folded,
    control characters dropped, markup characters escaped (a name cannot add a heading,
    a link or HTML to a plan)."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in str(value)).split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def css_string(value):
    """``value`` as the inside of a double-quoted CSS string: every character but letters,
    digits, spaces and . , - : ( ) as a CSS escape, so no input can end the string or the
    <style> element."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in " .,-:()") else f"\\{ord(ch):06x}"
                   for ch in str(value))


def source_id(citation):
    """'perry2009#4' -> 'perry2009' (the source, without the brief's section)."""
    return str(citation).partition("#")[0]


def join_words(items, last="and"):
    """['a', 'b', 'c'] -> 'a, b and c' (the ``words`` filter)."""
    items = [str(i) for i in items]
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def csv_row(cells):
    """One CSV row, without its line end (the ``csv_row`` filter of the blank CSV template)."""
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def pretty_json(data, one_line_keys=("trace", "facts")):
    """JSON indented for reading, except that each entry of the long ``one_line_keys``
    collections sits on one line (readable, diffable, and fast: C encoder)."""
    line = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    parts = []
    for key, value in data.items():
        if key in one_line_keys and value:
            if isinstance(value, dict):
                body = "{\n" + ",\n".join(f"    {line(k)}: {line(v)}" for k, v in value.items()) + "\n  }"
            else:
                body = "[\n" + ",\n".join(f"    {line(v)}" for v in value) + "\n  ]"
        else:
            body = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        parts.append(f"  {json.dumps(key)}: {body}")
    return "{\n" + ",\n".join(parts) + "\n}"
