"""The payment service's entrypoints with worker_factory: what is announced to the flow
and the monitor, and when; no broker, no store."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.payment import confirmations, notices
from services.payment.policy import PaymentPolicy
from services.payment.service import PaymentService

POLICY = PaymentPolicy(due_workdays=15, nonce_ttl_seconds=600)
PAID_AT = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
REQUIRED = {
    "case_no": "20261126000001",
    "item_code": "PS-001",
    "department": "public_security",
    "requested_at": "2026-11-26T02:00:00+00:00",
}


def notice(status, total_fen=2000, receipt_no=None, paid_at=None):
    return SimpleNamespace(
        notice_no="JK20261126000001",
        case_no="20261126000001",
        status=status,
        total_fen=total_fen,
        receipt_no=receipt_no,
        paid_at=paid_at,
        issued_at=PAID_AT,
        due_on="2026-12-03",
    )


@pytest.fixture
def service():
    service = worker_factory(PaymentService, policy=POLICY)
    service.intake.get_item.return_value = {"code": "PS-001", "fees": []}
    service.intake.get_case.return_value = {"applicant": {"kind": "person", "name": "王五"}, "item_version": 3}
    return service


def test_a_fee_bearing_case_gets_a_notice_and_the_flow_waits_while_the_applicant_hears_what_to_pay(
    service, monkeypatch
):
    monkeypatch.setattr(notices, "issue", lambda *args: (notice("issued"), True))
    service.on_payment_required(REQUIRED)
    service.intake.get_case.assert_called_once_with("20261126000001", notices.SYSTEM_VIEWER)
    service.intake.get_item.assert_called_once_with("PS-001", 3)  # the version the case was submitted under
    service.dispatch.assert_called_once_with(
        "payment_notice_issued",
        {
            "case_no": "20261126000001",
            "notice_no": "JK20261126000001",
            "total_fen": 2000,
            "due_on": "2026-12-03",
            "issued_at": PAID_AT.isoformat(),
        },
    )


def test_a_free_item_skips_payment_and_the_flow_goes_on_at_once(service, monkeypatch):
    monkeypatch.setattr(notices, "issue", lambda *args: (notice("waived", total_fen=0), True))
    service.on_payment_required(REQUIRED)
    service.dispatch.assert_called_once_with(
        "payment_confirmed",
        {
            "case_no": "20261126000001",
            "notice_no": "JK20261126000001",
            "amount_fen": 0,
            "receipt_no": None,
            "confirmed_at": PAID_AT.isoformat(),
        },
    )


def test_the_flow_asking_again_for_a_paid_notice_hears_it_was_paid(service, monkeypatch):
    paid = notice("paid", receipt_no="PJ20261126000001", paid_at=PAID_AT)
    monkeypatch.setattr(notices, "issue", lambda *args: (paid, False))
    service.on_payment_required(REQUIRED)
    assert service.dispatch.call_args.args[1]["receipt_no"] == "PJ20261126000001"
    assert service.dispatch.call_args.args[1]["amount_fen"] == 2000


def payment(status, created_receipt="PJ20261126000001"):
    return SimpleNamespace(
        bank_txn_id="T1",
        notice_no="JK20261126000001",
        case_no="20261126000001",
        amount_fen=2000,
        currency="CNY",
        status=status,
        reason=None,
        channel="window",
        receipt_no=created_receipt if status == "applied" else None,
        entered_by="cashier",
        received_at=PAID_AT,
        refund_reserved_fen=0,
    )


CONFIRMATION = {"notice_no": "JK20261126000001", "bank_txn_id": "T1", "amount_fen": 2000}


@pytest.mark.parametrize(
    "status, created, applied",
    [
        ("applied", True, True),
        ("applied", False, False),
        ("applied", False, True),
        ("held", True, False),
        ("refund_due", True, False),
    ],
)
def test_a_payment_is_announced_by_the_call_that_applied_it(service, monkeypatch, status, created, applied):
    monkeypatch.setattr(confirmations, "confirm", lambda *args: (payment(status), created, applied))
    monkeypatch.setattr(
        notices, "get", lambda notice_no: notice("paid", receipt_no="PJ20261126000001", paid_at=PAID_AT)
    )
    answer = service.confirm_payment(CONFIRMATION, {"channel": "window", "actor": "cashier"})
    assert answer["created"] is created and answer["status"] == status
    assert service.dispatch.called is applied
