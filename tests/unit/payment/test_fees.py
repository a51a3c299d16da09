"""Fee assessment: the flow's fee_fen or the catalog's fees, always integer fen."""

import pytest

from services.intake.catalog import load_catalog
from services.payment.fees import FeeAssessmentError, assess
from tests.unit.paths import CATALOG_DIR

ITEM = {
    "code": "NR-002",
    "name_zh": "不动产转移登记（非住宅）",
    "department": "natural_resources",
    "legal_basis": "《不动产登记暂行条例》",
    "fees": [
        {"code": "registration_fee", "name": "登记费", "amount_fen": 55000, "basis": "发改价格规〔2016〕2559号"},
        {"code": "certificate_fee", "name": "工本费", "amount_fen": 1000, "basis": "发改价格规〔2016〕2559号"},
    ],
}


def test_the_catalog_fees_make_the_lines_with_their_legal_basis():
    lines, total, assessed_by = assess(None, ITEM)
    assert total == 56000 and isinstance(total, int) and assessed_by == "catalog"
    assert [(line["code"], line["amount_fen"], line["legal_basis"]) for line in lines] == [
        ("registration_fee", 55000, "发改价格规〔2016〕2559号"),
        ("certificate_fee", 1000, "发改价格规〔2016〕2559号"),
    ]


def test_the_flows_own_fee_wins_over_the_catalog():
    lines, total, assessed_by = assess(12345, ITEM)
    assert (total, assessed_by) == (12345, "flow")
    assert lines == [
        {
            "code": "NR-002-FEE",
            "name": "不动产转移登记（非住宅） 收费",
            "amount_fen": 12345,
            "legal_basis": "《不动产登记暂行条例》",
        }
    ]


@pytest.mark.parametrize("fee_fen", [None, 0])
def test_a_free_item_has_nothing_to_pay(fee_fen):
    assert assess(fee_fen, dict(ITEM, fees=[]))[:2] == ([], 0)


@pytest.mark.parametrize("fee_fen", [12.5, 100.0, "100", True, -1])
def test_a_fee_from_the_flow_that_is_not_whole_fen_is_refused(fee_fen):
    with pytest.raises(FeeAssessmentError, match="non-negative integer of fen"):
        assess(fee_fen, ITEM)


def test_a_catalog_fee_in_float_is_refused():
    with pytest.raises(FeeAssessmentError, match="registration_fee"):
        assess(None, dict(ITEM, fees=[dict(ITEM["fees"][0], amount_fen=550.0)]))


def test_an_item_without_fees_in_the_catalog_answer_cannot_be_assessed():
    item = {key: value for key, value in ITEM.items() if key != "fees"}
    with pytest.raises(FeeAssessmentError, match="no fees for item NR-002"):
        assess(None, item)


def test_every_fee_of_the_published_catalog_can_be_assessed():
    items = [item.as_dict() for item in load_catalog(CATALOG_DIR).items.values()]
    assessed = [assess(None, item) for item in items]
    assert all(isinstance(total, int) and total >= 0 for _, total, _ in assessed)
