"""The fingerprint stamped on every plan is complete: the knowledge base's digest covers the
knowledge, the presentation digest every template, and `seqplan audit` says which one changed."""
from __future__ import annotations

import json
import shutil

import pytest

from planner import presentation
from planner.resources import data_dir


@pytest.fixture
def templates_copy(tmp_path):
    target = tmp_path / "templates"
    shutil.copytree(data_dir("templates"), target)
    return target


def test_every_template_and_table_in_templates_is_covered(templates_copy):
    assert presentation.digest(templates_copy) == presentation.digest(), "the digest is of names and contents only"
    covered = presentation.files(templates_copy)
    assert "plan.json.j2" in covered and "fhir-r4.yaml" in covered and "explain.yaml" in covered
    on_disk = sorted(p.name for p in templates_copy.iterdir() if p.is_file())
    assert covered == on_disk, "every file in templates/ shapes some output"
    for name in ("handout.md.j2", "fhir-r4.yaml"):
        path = templates_copy / name
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert presentation.digest(templates_copy) != presentation.digest(), f"{name} is covered"
        path.write_bytes(original)
    assert presentation.digest(templates_copy) == presentation.digest()


def test_the_web_pages_own_templates_are_not_a_plans_presentation():
    from pathlib import Path

    import planner.web

    web = Path(planner.web.__file__).parent / "templates"
    assert web.is_dir() and data_dir("templates") != web
    assert not any(name.endswith(".html") for name in presentation.files())


def test_every_plan_is_stamped_beside_its_knowledge_base():
    from planner.api import plan_file

    plan = json.loads(plan_file("teen-cortical", fmt="json"))
    keys = list(plan)
    assert keys.index("presentation") == keys.index("kb") + 1
    assert plan["presentation"] == {"digest": presentation.digest()}
    auditor = plan_file("teen-cortical", audience="auditor")
    assert f"| Presentation digest | `{presentation.digest()}` |" in auditor


def test_audit_names_a_changed_presentation_not_the_knowledge_base(tmp_path, templates_copy, monkeypatch):
    """A plan made while one template differed: audit says the presentation changed, with both digests."""
    from planner.api import audit_plan, plan_file

    handout = templates_copy / "handout.md.j2"
    handout.write_text(handout.read_text("utf-8") + "{# a local edit #}\n", "utf-8")
    monkeypatch.setattr(presentation, "data_dir", lambda name: templates_copy if name == "templates" else data_dir(name))
    edited = presentation.digest()
    stored = tmp_path / "plan.json"
    stored.write_text(plan_file("teen-cortical", fmt="json"), "utf-8")
    monkeypatch.undo()

    reproduced, lines = audit_plan(stored, "teen-cortical")
    assert not reproduced
    assert lines[1] == ("presentation changed: the templates that word and lay out the outputs are not those this "
                        f"plan was made with (digest {edited} then, {presentation.digest()} now)")
    assert not any(line.startswith(("knowledge base changed", "input changed")) for line in lines)
    assert f'~ presentation.digest: "{edited}" -> "{presentation.digest()}"' in lines


def test_audit_names_a_changed_knowledge_base_not_the_presentation(tmp_path, kb_copy):
    from planner.api import audit_plan, plan_file

    parameters = kb_copy / "parameters.yaml"
    text = parameters.read_text("utf-8")
    assert "  - id: review_weeks\n    value: 12\n" in text
    parameters.write_text(text.replace("  - id: review_weeks\n    value: 12\n", "  - id: review_weeks\n    value: 10\n"))
    stored = tmp_path / "plan.json"
    stored.write_text(plan_file("teen-cortical", fmt="json", kb_dir=kb_copy), "utf-8")
    reproduced, lines = audit_plan(stored, "teen-cortical")
    assert not reproduced and lines[1].startswith("knowledge base changed: ")
    assert not any(line.startswith("presentation changed") for line in lines)


def test_a_side_table_the_knowledge_base_lacks_is_fingerprinted_as_the_one_used(kb_copy):
    """Without plain_language.yaml the bundled one words the plan: the digest is that of a
    knowledge base carrying the bundled one, and not that of one carrying other words."""
    from planner.kb.knowledge import load_knowledge_base

    with_table = load_knowledge_base(kb_copy).digest
    (kb_copy / "plain_language.yaml").unlink()
    assert load_knowledge_base(kb_copy).digest == with_table
