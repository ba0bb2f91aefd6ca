"""Library functions behind each CLI command, importable by users."""
from __future__ import annotations


def plan_file(path, fmt="md", redact=False, kb_dir=None, audience="therapist"):
    """Plan the assessment at ``path`` and return the rendered text."""
    from .assessment import load_assessment
    from .knowledge import load_knowledge_base
    from .planning import make_plan
    from .render import render_plan

    kb = load_knowledge_base(kb_dir)
    return render_plan(make_plan(load_assessment(path, kb), kb, redact=redact), fmt, audience)


def validate_file(path, kb_dir=None):
    """Every problem with the assessment at ``path`` (an empty list when it is valid)."""
    from pathlib import Path

    from .assessment import parse, read_text, validation_errors
    from .errors import InputError
    from .knowledge import load_knowledge_base

    path = Path(path)
    text = read_text(path)
    try:
        data = parse(path, text)
    except InputError as exc:
        return [exc]
    return validation_errors(data, path, text, load_knowledge_base(kb_dir))


def check_knowledge_base(kb_dir=None):
    """(one-line summary, [problems]) for the knowledge base in ``kb_dir``."""
    from .kbcheck import check
    from .knowledge import load_knowledge_base

    kb = load_knowledge_base(kb_dir)
    problems = check(kb)
    summary = (f"{kb.name} {kb.version}: {len(kb.functions)} functions, {len(kb.activities)} activities, "
               f"{len(kb.active_rules)} active rules in {len(kb.layers)} layers, {len(kb.parameters)} parameters: "
               + (f"{len(problems)} problem(s)" if problems else "ok"))
    return summary, problems


def rule_coverage(features_dir="features", kb_dir=None):
    """(report text, complete?) of active rules covered by a scenario tagged @rule:<ID>."""
    from .kbcheck import coverage
    from .knowledge import load_knowledge_base

    kb = load_knowledge_base(kb_dir)
    covered, uncovered, unknown = coverage(kb, features_dir)
    total = len(covered) + len(uncovered)
    lines = [f"rule coverage: {len(covered)}/{total} active rules have a scenario "
             f"({100 * len(covered) // max(total, 1)}%)"]
    lines += [f"no scenario: {rule_id} ({kb.rules[rule_id]['title']})" for rule_id in uncovered]
    lines += [f"unknown rule tagged: @rule:{rule_id}" for rule_id in unknown]
    return "\n".join(lines), not uncovered and not unknown


def list_knowledge(what, fmt="text", kb_dir=None):
    """The functions, activities, rules or parameters of a knowledge base, as text or JSON."""
    import json

    from .knowledge import load_knowledge_base

    kb = load_knowledge_base(kb_dir)
    table = {"functions": kb.functions, "activities": kb.activities, "rules": kb.rules,
             "parameters": kb.parameters}[what]
    if fmt == "json":
        return json.dumps(list(table.values()), indent=2, ensure_ascii=False, default=str) + "\n"
    rows = []
    for ident, item in table.items():
        if what == "functions":
            rows.append(f"{ident}\t{item['region']}\t{item['factor']}\t{item['label']}")
        elif what == "activities":
            rows.append(f"{ident}\t{item['stage']}\t{','.join(item['targets'])}\t{item['name']}")
        elif what == "rules":
            rows.append(f"{ident}\t{item['layer']}\t{item['status']}\t{item['title']}")
        else:
            rows.append(f"{ident}\t{json.dumps(item['value'])}\t{item['label']}\t{item['about']}")
    return "\n".join(rows) + "\n"
