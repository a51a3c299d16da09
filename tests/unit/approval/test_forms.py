"""Task data is checked against the task's form, and every fault is listed."""

import pytest

from services.approval.forms import MAX_TEXT, validate_form_data
from services.common.errors import InvalidInput

# The shape bpmn_engine gives a task's form (the "decide" step of bpmn/immediate_item.bpmn, plus more).
FORM = [
    {"id": "materials_complete", "label": "材料齐全", "type": "boolean", "required": True, "options": []},
    {
        "id": "decision",
        "label": "决定",
        "type": "enum",
        "required": True,
        "options": [{"id": "approved", "name": "准予"}, {"id": "refused", "name": "不予"}],
    },
    {"id": "fee_fen", "label": "费用", "type": "long", "required": False, "options": []},
    {"id": "opinion", "label": "意见", "type": "string", "required": False, "options": []},
]
GOOD = {"materials_complete": True, "decision": "approved", "fee_fen": 5000, "opinion": "同意"}


def errors_of(data, form=FORM):
    with pytest.raises(InvalidInput) as raised:
        validate_form_data(form, data)
    return {e["field"]: e["message"] for e in raised.value.errors}


def test_good_data_is_accepted_as_given():
    assert validate_form_data(FORM, GOOD) == GOOD


def test_optional_fields_may_be_left_out_or_null():
    data = {"materials_complete": False, "decision": "refused", "opinion": None}

    assert validate_form_data(FORM, data) == {"materials_complete": False, "decision": "refused"}


def test_unknown_field_is_refused_so_other_variables_cannot_be_overwritten():
    assert list(errors_of({**GOOD, "approved_by_chief": True})) == ["approved_by_chief"]


@pytest.mark.parametrize("absent", [{}, {"decision": None}])
def test_missing_required_field_is_refused(absent):
    data = {k: v for k, v in GOOD.items() if k != "decision"} | absent

    assert errors_of(data) == {"decision": "is required"}


@pytest.mark.parametrize(
    "field, value",
    [
        ("materials_complete", 1),
        ("materials_complete", "true"),
        ("fee_fen", True),
        ("fee_fen", 50.5),
        ("fee_fen", "5000"),
        ("decision", "maybe"),
        ("decision", "Approved"),
        ("opinion", 42),
    ],
)
def test_value_of_the_wrong_type_is_refused(field, value):
    assert list(errors_of({**GOOD, field: value})) == [field]


def test_text_longer_than_the_limit_is_refused_and_the_limit_itself_is_fine():
    assert validate_form_data(FORM, {**GOOD, "opinion": "意" * MAX_TEXT})["opinion"] == "意" * MAX_TEXT
    assert list(errors_of({**GOOD, "opinion": "意" * (MAX_TEXT + 1)})) == ["opinion"]


def test_every_fault_is_listed_at_once():
    data = {"decision": "maybe", "fee_fen": True, "opinion": "x" * (MAX_TEXT + 1), "extra": 1}

    assert set(errors_of(data)) == {"materials_complete", "decision", "fee_fen", "opinion", "extra"}


def test_data_that_is_not_an_object_is_refused():
    with pytest.raises(InvalidInput):
        validate_form_data(FORM, ["approved"])


def test_required_text_field_left_blank_is_refused():
    form = [{"id": "opinion", "type": "string", "required": True, "options": []}]

    assert errors_of({"opinion": ""}, form) == {"opinion": "is required"}
