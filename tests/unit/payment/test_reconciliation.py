"""Reading the bank's statement and comparing it with our payments, without a store."""

import pytest

from services.common.errors import InvalidInput
from services.payment.reconciliation import compare, parse_day, parse_statement

HEADER = "bank_txn_id,notice_no,amount_fen,currency\n"


def test_a_statement_is_read_into_amounts_by_transaction():
    text = HEADER + "T1,JK20261126000001,8000,CNY\nT2,JK20261126000002,100,CNY\n"
    assert parse_statement(text) == {"T1": (8000, "JK20261126000001"), "T2": (100, "JK20261126000002")}


@pytest.mark.parametrize(
    "text, message",
    [
        ("txn,amount\nT1,1\n", "missing column bank_txn_id"),
        (HEADER + "T1,JK1,80.00,CNY\n", "amount_fen must be a positive integer"),
        (HEADER + "T1,JK1,-5,CNY\n", "amount_fen must be a positive integer"),
        (HEADER + "T1,JK1,0,CNY\n", "amount_fen must be a positive integer"),
        (HEADER + "T1,JK1,100,USD\n", "currency must be CNY"),
        (HEADER + "T1,JK1,100\n", "wrong number of columns"),
        (HEADER + "T1,JK1,100,CNY,extra\n", "wrong number of columns"),
        (HEADER + "T1,JK1,100,CNY\nT1,JK2,100,CNY\n", "appears twice"),
        (HEADER + ",JK1,100,CNY\n", "bank_txn_id is empty"),
        ("", "missing column"),
    ],
)
def test_a_malformed_statement_is_refused_naming_the_line(text, message):
    with pytest.raises(InvalidInput) as refused:
        parse_statement(text)
    assert any(message in e["message"] for e in refused.value.errors), refused.value.errors


def test_a_bad_line_is_named_by_its_line_number():
    with pytest.raises(InvalidInput) as refused:
        parse_statement(HEADER + "T1,JK1,100,CNY\nT2,JK2,x,CNY\n")
    assert [e["field"] for e in refused.value.errors] == ["line 3"]


def test_the_report_sorts_every_transaction_into_one_section():
    statement = {"A": (100, "JK1"), "B": (200, "JK2"), "C": (300, "JK3")}
    ours = {"A": (100, "JK1"), "B": (250, "JK2"), "D": (400, "JK4")}
    report = compare(statement, ours)
    assert [m["bank_txn_id"] for m in report["matched"]] == ["A"]
    assert report["mismatched"] == [
        {"bank_txn_id": "B", "notice_no": "JK2", "bank_amount_fen": 200, "our_amount_fen": 250}
    ]
    assert [m["bank_txn_id"] for m in report["missing_ours"]] == ["C"]
    assert [m["bank_txn_id"] for m in report["missing_bank"]] == ["D"]
    assert report["summary"] == {
        "matched": 1,
        "missing_ours": 1,
        "missing_bank": 1,
        "mismatched": 1,
        "bank_total_fen": 600,
        "our_total_fen": 750,
    }


@pytest.mark.parametrize("day", ["2026-13-01", "yesterday", None, "26-11-2026"])
def test_a_bad_day_is_refused(day):
    with pytest.raises(InvalidInput):
        parse_day(day)
