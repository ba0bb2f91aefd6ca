"""planner.api.plan_data: an assessment given as a Python mapping plans like the file holding it."""
from __future__ import annotations

import copy
import json

import pytest
import yaml

from planner import api
from planner.errors import InputError
from tests.conftest import EXAMPLES_DIR, make_assessment


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_a_mapping_plans_exactly_like_its_file(fmt):
    path = EXAMPLES_DIR / "young-child-brainstem.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))     # dates parsed to datetime.date
    assert api.plan_data(data, fmt=fmt) == api.plan_file(path, fmt=fmt)


def test_the_mapping_is_not_changed():
    data = make_assessment(brainstem=4, context={"interests": ("music",)})
    before = copy.deepcopy(data)
    api.plan_data(data, fmt="json")
    assert data == before


def test_json_plan_from_a_mapping_is_redacted_on_request():
    plan = json.loads(api.plan_data(make_assessment(name="Robin"), fmt="json", redact=True))
    assert "name" not in plan["client"]


def test_a_bad_mapping_gives_the_one_line_error_a_file_gives():
    data = make_assessment(functioning={"cardiovasculr": 4})
    with pytest.raises(InputError) as caught:
        api.plan_data(data, source="case 7")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("case 7: functioning.cardiovasculr: unknown function id")
    assert "did you mean 'cardiovascular'?" in message


def test_several_problems_point_to_validate_data():
    data = make_assessment(age=-1, functioning={"sleep": 40})
    with pytest.raises(InputError) as caught:
        api.plan_data(data)
    assert "[and 1 more: call planner.api.validate_data" in str(caught.value)
    problems = api.validate_data(data)
    assert {p.field for p in problems} == {"client.age_years", "functioning.sleep"}


def test_a_valid_mapping_has_no_problems():
    assert api.validate_data(make_assessment()) == []
