"""An application's form is checked against its item's form definition, every fault listed."""

import pytest

from services.common.errors import InvalidInput
from services.intake.cases import check_defined_form
from services.intake.catalog import load_catalog
from tests.unit.paths import CATALOG_DIR

CATALOG = load_catalog(CATALOG_DIR)
SOCIAL_INSURANCE = CATALOG.item("HR-001")
GOOD = {
    "employer_name": "福州闽都餐饮有限公司",
    "employer_type": "企业",
    "employee_count": 12,
    "first_payroll_date": "2026-12-05",
}


def faults(item, form):
    with pytest.raises(InvalidInput) as raised:
        check_defined_form(item, form)
    return {e["field"]: e["message"] for e in raised.value.errors}


def test_a_form_that_matches_the_definition_is_kept_as_given():
    assert check_defined_form(SOCIAL_INSURANCE, GOOD) == GOOD
    optional_left_out = {k: v for k, v in GOOD.items() if k != "first_payroll_date"}
    assert check_defined_form(SOCIAL_INSURANCE, optional_left_out) == optional_left_out


def test_every_fault_is_listed_by_field():
    found = faults(
        SOCIAL_INSURANCE,
        {
            "employer_name": "",
            "employer_type": "合作社",
            "employee_count": 1.5,
            "first_payroll_date": "2026-02-30",
            "hobby": "x",
        },
    )
    assert found == {
        "form.hobby": "not a field of the form of item HR-001",
        "form.employer_name": "required (单位名称)",
        "form.employer_type": "must be one of 企业, 机关事业单位, 社会组织, 个体工商户 (单位类型)",
        "form.employee_count": "must be a whole number (参保职工人数)",
        "form.first_payroll_date": "must be a date YYYY-MM-DD (首次发放工资日期)",
    }


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"employer_name": "名" * 101}, "form.employer_name"),
        ({"employer_name": 42}, "form.employer_name"),
        ({"employee_count": True}, "form.employee_count"),
        ({"employee_count": "12"}, "form.employee_count"),
        ({"employee_count": None}, "form.employee_count"),
    ],
)
def test_a_wrong_type_length_or_missing_value_is_refused(changes, field):
    assert list(faults(SOCIAL_INSURANCE, {**GOOD, **changes})) == [field]


def test_booleans_are_checked_as_booleans():
    marriage = {"party_a_name": "张三", "party_b_name": "李四", "appointment_date": "2026-12-01"}
    assert check_defined_form(CATALOG.item("CA-001"), {**marriage, "certificate_photo_taken": True})
    assert list(faults(CATALOG.item("CA-001"), {**marriage, "certificate_photo_taken": "yes"})) == [
        "form.certificate_photo_taken"
    ]


def test_the_joint_registration_takes_its_capital_in_fen_and_refuses_unknown_fields():
    joint = CATALOG.item("MR-010")
    assert check_defined_form(
        joint,
        {"company_name": "福州榕城科技有限公司", "registered_capital_fen": 100_000_000, "business_scope": "软件开发"},
    )
    assert faults(joint, {"registered_capital_fen": "100万元", "shop_area": 30}) == {
        "form.shop_area": "not a field of the form of item MR-010",
        "form.registered_capital_fen": "must be a whole number (注册资本（分）)",
    }


def test_an_item_without_a_definition_keeps_the_generic_check_only():
    item = CATALOG.item("MR-001")
    assert item.form is None
    assert check_defined_form(item, {"anything": "goes"}) == {"anything": "goes"}
