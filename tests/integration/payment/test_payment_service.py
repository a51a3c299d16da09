"""The payment service on the real broker and store: notices from payment_required,
exactly-once bank confirmations (also concurrently, through the broker), mismatches,
cancellations and late payments, refunds with four eyes, reconciliation, the audit log
and the day's totals.

Intake is played by a small stand-in service (same name, same RPC methods), so the
payer, the catalog's fees and the query code are under the test's control.
"""

from datetime import datetime

import eventlet
import pytest
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from prometheus_client import REGISTRY

from gateway.rpc import RemoteError, RpcClient
from services.common.entrypoints import rpc
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.time import utcnow
from services.common.workdays import shanghai_day
from services.payment.fees import FeeAssessmentError
from services.payment.service import PaymentService

PAYER = {"kind": "company", "name": "榆林某某有限公司", "credit_code": "91610800MA70000000"}
ITEMS = {
    "NR-002": {
        "code": "NR-002",
        "name_zh": "不动产转移登记（非住宅）",
        "department": "natural_resources",
        "legal_basis": "《不动产登记暂行条例》",
        "fees": [
            {"code": "registration_fee", "name": "登记费", "amount_fen": 55000, "basis": "发改价格规〔2016〕2559号"},
            {"code": "certificate_fee", "name": "工本费", "amount_fen": 1000, "basis": "发改价格规〔2016〕2559号"},
        ],
    },
    "XX-001": {"code": "XX-001", "name_zh": "旧目录事项", "department": "taxation", "legal_basis": "—"},
    "MR-001": {
        "code": "MR-001",
        "name_zh": "个体工商户设立登记",
        "department": "market_regulation",
        "legal_basis": "《促进个体工商户发展条例》第八条",
        "fees": [],
    },
}
QUERY_CODE = "ABCD2345"
CASHIER = {"username": "cashier", "roles": ["cashier"], "department": "hall"}
ADMIN = {"username": "admin", "roles": ["admin"], "department": "hall"}
WINDOW = {"channel": "window", "actor": "cashier"}
BANK = {"channel": "hall-bank", "actor": "hall-bank"}
HEADER = "bank_txn_id,notice_no,amount_fen,currency\n"


class IntakeStandIn:
    """Answers what the payment service asks intake: items, the payer, the query code."""

    name = "intake"

    @rpc
    def get_item(self, item_code, version):
        assert version == 1
        return ITEMS[item_code]

    @rpc
    def get_case(self, case_no, viewer):
        assert viewer["department"] == "hall"
        return {"case_no": case_no, "applicant": PAYER, "item_version": 1}

    @rpc
    def get_public_case(self, case_no, query_code):
        if query_code != QUERY_CODE:
            raise NotFound(f"no case {case_no} with this query code")
        return {"case_no": case_no}


class ConfirmedPayments:
    """Stands in for the approval service and the monitor: records payment_confirmed."""

    name = "test_payment_listener"
    received = []

    @event_handler("payment", "payment_confirmed")
    def on_payment_confirmed(self, payload):
        self.received.append(payload)

    @classmethod
    def about(cls, case_no):
        return [p for p in cls.received if p["case_no"] == case_no]


@pytest.fixture
def payment(container_factory, service_config, clean_databases):
    container_factory(IntakeStandIn, service_config).start()
    container = container_factory(PaymentService, service_config)
    container.start()
    return container


@pytest.fixture
def listener(start_listener):
    ConfirmedPayments.received = []
    return start_listener(ConfirmedPayments)


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def require(container, case_no, item_code="NR-002", department="natural_resources", **extra):
    call(
        container,
        "on_payment_required",
        {
            "case_no": case_no,
            "item_code": item_code,
            "department": department,
            "requested_at": "2026-11-26T02:00:00+00:00",
            **extra,
        },
    )
    return call(container, "get_payment", case_no, CASHIER)


def confirm(container, notice, txn, amount=None, source=WINDOW, **extra):
    body = {
        "notice_no": notice["notice_no"],
        "bank_txn_id": txn,
        "amount_fen": notice["total_fen"] if amount is None else amount,
        **extra,
    }
    return call(container, "confirm_payment", body, source)


def day_of(payment):
    """The hall day a payment was received on (its ``received_at`` is UTC)."""
    return shanghai_day(datetime.fromisoformat(payment["received_at"])).isoformat()


def payments_stored():
    from services.payment import models

    return models.Payment.objects.count()


def test_payment_required_on_the_broker_issues_a_notice_from_the_catalog_fees(payment, service_config):
    with entrypoint_waiter(payment, "on_payment_required"):
        event_dispatcher(service_config)(
            "approval",
            "payment_required",
            {
                "case_no": "20261126000101",
                "item_code": "NR-002",
                "department": "natural_resources",
                "requested_at": "2026-11-26T02:00:00+00:00",
            },
        )
    notice = call(payment, "get_payment", "20261126000101", CASHIER)
    assert notice["notice_no"].startswith("JK") and len(notice["notice_no"]) == 16
    assert (notice["status"], notice["total_fen"], notice["assessed_by"]) == ("issued", 56000, "catalog")
    assert [(line["code"], line["amount_fen"], line["legal_basis"]) for line in notice["lines"]] == [
        ("registration_fee", 55000, "发改价格规〔2016〕2559号"),
        ("certificate_fee", 1000, "发改价格规〔2016〕2559号"),
    ]
    assert notice["payer"] == PAYER
    assert notice["due_on"] > notice["issued_at"][:10]
    assert [entry["action"] for entry in notice["audit"]] == ["notice_issued"]


def test_the_flows_fee_wins_and_a_repeated_event_issues_no_second_notice(payment):
    first = require(payment, "20261126000102", fee_fen=12345)
    again = require(payment, "20261126000102", fee_fen=99999)
    assert first["notice_no"] == again["notice_no"] and again["total_fen"] == 12345
    assert first["assessed_by"] == "flow"


def test_a_free_item_skips_payment_and_the_flow_goes_on(payment, listener):
    with entrypoint_waiter(listener, "on_payment_confirmed"):
        notice = require(payment, "20261126000103", item_code="MR-001", department="market_regulation")
    assert (notice["status"], notice["required"], notice["total_fen"], notice["lines"]) == ("waived", False, 0, [])
    [announced] = ConfirmedPayments.about("20261126000103")
    assert announced["amount_fen"] == 0 and announced["notice_no"] == notice["notice_no"]


def test_the_notice_is_shown_to_its_department_and_to_the_applicant_with_the_query_code(payment):
    require(payment, "20261126000104")
    assert (
        call(
            payment,
            "get_payment",
            "20261126000104",
            {"username": "r", "roles": ["reviewer"], "department": "natural_resources"},
        )["total_fen"]
        == 56000
    )
    with pytest.raises(NotFound):
        call(
            payment, "get_payment", "20261126000104", {"username": "t", "roles": ["reviewer"], "department": "taxation"}
        )
    public = call(payment, "get_public_payment", "20261126000104", QUERY_CODE)
    assert public["total_fen"] == 56000 and "payer" not in public and PAYER["credit_code"] not in str(public)
    with pytest.raises(NotFound):
        call(payment, "get_public_payment", "20261126000104", "WRONG999")


def test_a_confirmation_pays_the_notice_once_issues_a_receipt_and_tells_the_flow(payment, listener):
    notice = require(payment, "20261126000105")
    with entrypoint_waiter(listener, "on_payment_confirmed"):
        first = confirm(payment, notice, "ICBC-105")
    again = confirm(payment, notice, "ICBC-105")
    assert (first["status"], first["created"], again["created"]) == ("applied", True, False)
    assert first["receipt_no"].startswith("PJ") and again["receipt_no"] == first["receipt_no"]
    paid = call(payment, "get_payment", "20261126000105", CASHIER)
    assert (paid["status"], paid["receipt_no"], paid["bank_txn_id"]) == ("paid", first["receipt_no"], "ICBC-105")
    assert [e["action"] for e in paid["audit"]] == ["notice_issued", "notice_paid"]
    assert ConfirmedPayments.about("20261126000105") == [
        {
            "case_no": "20261126000105",
            "notice_no": notice["notice_no"],
            "amount_fen": 56000,
            "receipt_no": first["receipt_no"],
            "confirmed_at": paid["paid_at"],
        }
    ]
    assert payments_stored() == 1


def test_many_identical_confirmations_at_once_on_two_replicas_record_one_payment(
    container_factory, service_config, payment, listener
):
    container_factory(PaymentService, service_config).start()  # a second replica on the same queue
    notice = require(payment, "20261126000106")
    client = RpcClient(service_config["AMQP_URI"], timeout=30)
    body = {"notice_no": notice["notice_no"], "bank_txn_id": "ICBC-106", "amount_fen": 56000, "currency": "CNY"}

    def confirm_once():
        return client.call("payment", "confirm_payment", body, WINDOW)

    with entrypoint_waiter(listener, "on_payment_confirmed"):
        answers = [thread.wait() for thread in [eventlet.spawn(confirm_once) for _ in range(12)]]
    assert sorted(a["created"] for a in answers) == [False] * 11 + [True]
    assert {(a["status"], a["receipt_no"]) for a in answers} == {("applied", answers[0]["receipt_no"])}
    assert payments_stored() == 1
    eventlet.sleep(0.5)  # a second announcement, if there were one, would have arrived by now
    assert len(ConfirmedPayments.about("20261126000106")) == 1
    assert call(payment, "get_payment", "20261126000106", CASHIER)["status"] == "paid"


def test_an_amount_that_differs_from_the_notice_is_held_for_the_cashier(payment):
    notice = require(payment, "20261126000107")
    held = confirm(payment, notice, "ICBC-107", amount=50000)
    assert held["status"] == "held" and "differs" in held["reason"] and held["receipt_no"] is None
    assert call(payment, "get_payment", "20261126000107", CASHIER)["status"] == "issued"
    assert [p["bank_txn_id"] for p in call(payment, "payments_needing_the_cashier")] == ["ICBC-107"]


def test_a_second_transaction_for_a_paid_notice_is_due_for_refund(payment):
    notice = require(payment, "20261126000108")
    confirm(payment, notice, "ICBC-108-A")
    second = confirm(payment, notice, "ICBC-108-B")
    assert second["status"] == "refund_due" and "already paid by bank transaction ICBC-108-A" in second["reason"]


def test_a_refused_case_cancels_its_notice_and_a_late_payment_is_flagged_for_refund(payment, listener):
    notice = require(payment, "20261126000109")
    call(
        payment,
        "on_case_refused",
        {
            "case_no": "20261126000109",
            "reason": "材料虚假",
            "refused_at": "2026-11-26T03:00:00+00:00",
            "refused_by": "clerk",
        },
    )
    cancelled = call(payment, "get_payment", "20261126000109", CASHIER)
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "材料虚假")
    late = confirm(payment, notice, "ICBC-109")
    assert late["status"] == "refund_due" and late["reason"].startswith("late payment")
    assert ConfirmedPayments.about("20261126000109") == []


def test_a_case_decided_as_refused_cancels_but_an_approved_one_does_not(payment):
    require(payment, "20261126000110")
    require(payment, "20261126000111")
    decided_at = "2026-11-26T03:00:00+00:00"
    call(payment, "on_case_decided", {"case_no": "20261126000110", "outcome": "refused", "decided_at": decided_at})
    call(payment, "on_case_decided", {"case_no": "20261126000111", "outcome": "approved", "decided_at": decided_at})
    assert call(payment, "get_payment", "20261126000110", CASHIER)["status"] == "cancelled"
    assert call(payment, "get_payment", "20261126000111", CASHIER)["status"] == "issued"


def test_a_replayed_bank_nonce_is_refused_and_changes_nothing(payment):
    notice = require(payment, "20261126000112")
    confirm(payment, notice, "ICBC-112-A", source=dict(BANK, nonce="nonce-112-0123456789"))
    with pytest.raises(Conflict, match="replayed"):
        confirm(payment, notice, "ICBC-112-B", source=dict(BANK, nonce="nonce-112-0123456789"))
    assert payments_stored() == 1


@pytest.mark.parametrize(
    "change, error, field",
    [
        ({"notice_no": "JK20000101000001"}, NotFound, None),
        ({"amount_fen": 0}, InvalidInput, "amount_fen"),
        ({"amount_fen": -56000}, InvalidInput, "amount_fen"),
        ({"amount_fen": 560.0}, InvalidInput, "amount_fen"),
        ({"amount_fen": True}, InvalidInput, "amount_fen"),
        ({"currency": "USD"}, InvalidInput, "currency"),
        ({"bank_txn_id": ""}, InvalidInput, "bank_txn_id"),
    ],
)
def test_a_bad_confirmation_is_refused_and_nothing_is_stored(payment, change, error, field):
    notice = require(payment, "20261126000113")
    body = {"notice_no": notice["notice_no"], "bank_txn_id": "ICBC-113", "amount_fen": 56000, **change}
    with pytest.raises(error) as refused:
        call(payment, "confirm_payment", body, dict(BANK, nonce="nonce-113-0123456789"))
    if field:
        assert [e["field"] for e in refused.value.errors] == [field]
    assert payments_stored() == 0
    assert call(payment, "get_payment", "20261126000113", CASHIER)["status"] == "issued"


def test_a_bank_transaction_id_reused_with_another_amount_is_a_conflict(payment):
    notice = require(payment, "20261126000114")
    confirm(payment, notice, "ICBC-114")
    with pytest.raises(Conflict, match="already confirmed"):
        confirm(payment, notice, "ICBC-114", amount=100)


def test_a_refund_needs_a_second_person_never_exceeds_the_payment_and_is_confirmed_by_the_bank(payment):
    notice = require(payment, "20261126000115")
    confirm(payment, notice, "ICBC-115")
    with pytest.raises(InvalidInput, match="reason"):
        call(payment, "request_refund", "ICBC-115", 1000, "  ", CASHIER)
    with pytest.raises(InvalidInput, match="exceeds"):
        call(payment, "request_refund", "ICBC-115", 56001, "多缴", CASHIER)
    refund = call(payment, "request_refund", "ICBC-115", 1000, "工本费重复收取", CASHIER)
    assert (refund["status"], refund["refund_no"][:2]) == ("requested", "TF")
    with pytest.raises(Forbidden, match="second person"):
        call(payment, "decide_refund", refund["refund_no"], True, CASHIER)
    with pytest.raises(Conflict, match="only an approved refund"):
        call(
            payment,
            "confirm_refund",
            {"refund_no": refund["refund_no"], "bank_txn_id": "ICBC-R-115", "amount_fen": 1000},
            BANK,
        )
    assert call(payment, "decide_refund", refund["refund_no"], True, ADMIN)["status"] == "approved"
    with pytest.raises(Conflict):
        call(payment, "decide_refund", refund["refund_no"], False, ADMIN)
    with pytest.raises(InvalidInput, match="exceeds what is left of the payment \\(55000 fen\\)"):
        call(payment, "request_refund", "ICBC-115", 55001, "多缴", CASHIER)
    body = {"refund_no": refund["refund_no"], "bank_txn_id": "ICBC-R-115", "amount_fen": 1000}
    done = call(payment, "confirm_refund", body, BANK)
    again = call(payment, "confirm_refund", body, BANK)
    assert (done["status"], done["created"], again["created"]) == ("refunded", True, False)
    actions = [e["action"] for e in call(payment, "audit_trail", f"refund:{refund['refund_no']}")]
    assert actions == ["refund_requested", "refund_approved", "refund_paid"]


def test_a_rejected_refund_gives_its_amount_back_to_the_payment(payment):
    notice = require(payment, "20261126000116")
    confirm(payment, notice, "ICBC-116")
    refund = call(payment, "request_refund", "ICBC-116", 56000, "申请人撤回", CASHIER)
    call(payment, "decide_refund", refund["refund_no"], False, ADMIN)
    assert call(payment, "request_refund", "ICBC-116", 56000, "申请人撤回", ADMIN)["status"] == "requested"


def test_concurrent_refund_requests_never_exceed_the_payment(payment, service_config):
    notice = require(payment, "20261126000117")
    confirm(payment, notice, "ICBC-117")
    client = RpcClient(service_config["AMQP_URI"], timeout=30)

    def ask():
        try:
            return client.call("payment", "request_refund", "ICBC-117", 20000, "多缴", CASHIER)["amount_fen"]
        except RemoteError as refused:
            return refused.exc_type

    outcomes = [thread.wait() for thread in [eventlet.spawn(ask) for _ in range(6)]]
    assert sorted(map(str, outcomes)) == ["20000", "20000"] + ["InvalidInput"] * 4


def test_reconciliation_reports_each_section_and_the_same_statement_gives_the_same_report(payment):
    paid = require(payment, "20261126000118")
    held = require(payment, "20261126000119")
    only_ours = require(payment, "20261126000120")
    applied = confirm(payment, paid, "T-118")
    confirm(payment, held, "T-119", amount=100)
    confirm(payment, only_ours, "T-120")
    day = day_of(applied)
    statement = (
        HEADER + f"T-118,{paid['notice_no']},56000,CNY\nT-119,{held['notice_no']},200,CNY\n"
        "T-999,JK20261126999999,700,CNY\n"
    )
    report = call(payment, "reconcile", day, statement, "hall-bank", CASHIER)
    assert report["created"] is True and report["day"] == day
    assert [m["bank_txn_id"] for m in report["matched"]] == ["T-118"]
    assert report["mismatched"] == [
        {"bank_txn_id": "T-119", "notice_no": held["notice_no"], "bank_amount_fen": 200, "our_amount_fen": 100}
    ]
    assert [m["bank_txn_id"] for m in report["missing_ours"]] == ["T-999"]
    assert [m["bank_txn_id"] for m in report["missing_bank"]] == ["T-120"]
    again = call(payment, "reconcile", day, statement, "hall-bank", CASHIER)
    assert again["created"] is False
    assert {k: v for k, v in again.items() if k != "created"} == {k: v for k, v in report.items() if k != "created"}
    stored = call(payment, "get_reconciliation", report["report_id"])
    assert stored["summary"] == report["summary"]


def test_a_malformed_statement_is_refused_and_no_report_is_stored(payment):
    from services.payment import models

    with pytest.raises(InvalidInput) as refused:
        call(payment, "reconcile", "2026-11-26", HEADER + "T1,JK1,12.50,CNY\n", "hall-bank", CASHIER)
    assert refused.value.errors[0]["field"] == "line 2"
    with pytest.raises(NotFound):
        call(payment, "get_reconciliation", "0" * 64)
    assert models.Reconciliation.objects.count() == 0


def test_daily_totals_and_prometheus_amounts_are_in_fen_by_department_and_item(payment):
    labels = {"department": "natural_resources", "item_code": "NR-002", "direction": "paid"}
    before = REGISTRY.get_sample_value("hall_payment_amount_fen_total", labels) or 0
    notice = require(payment, "20261126000121")
    day = day_of(confirm(payment, notice, "T-121"))
    totals = call(payment, "daily_stats", day, CASHIER)
    assert totals["paid_fen"] == 56000 and totals["items"] == [
        {
            "day": day,
            "department": "natural_resources",
            "item_code": "NR-002",
            "paid_fen": 56000,
            "paid_count": 1,
            "refunded_fen": 0,
            "refund_count": 0,
        }
    ]
    other = call(
        payment,
        "daily_stats",
        day,
        {"username": "t", "roles": ["chief"], "department": "taxation"},
        department="natural_resources",
    )
    assert (other["department"], other["paid_fen"]) == ("taxation", 0)
    assert REGISTRY.get_sample_value("hall_payment_amount_fen_total", labels) == before + 56000


def test_the_audit_log_is_append_only(payment):
    from services.payment import models

    notice = require(payment, "20261126000122")
    entry = models.AuditEntry.objects(subject=f"notice:{notice['notice_no']}").first()
    entry.actor = "someone else"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert models.AuditEntry.objects(subject=f"notice:{notice['notice_no']}").first().actor == "payment-service"


def test_a_bank_transaction_id_led_by_a_date_is_kept_exactly_once(payment):
    """NX-27017 0.8.1 never matches a query string that starts with an ISO date; banks
    number transactions by date (models.txn_key)."""
    notice = require(payment, "20261126000123")
    first = confirm(payment, notice, "2026-11-26-000123")
    again = confirm(payment, notice, "2026-11-26-000123")
    assert (first["status"], first["created"], again["created"]) == ("applied", True, False)
    assert payments_stored() == 1
    assert call(payment, "request_refund", "2026-11-26-000123", 100, "多缴", CASHIER)["status"] == "requested"


def test_a_refused_bank_request_does_not_use_up_its_nonce(payment):
    notice = require(payment, "20261126000124")
    source = dict(BANK, nonce="nonce-124-0123456789")
    with pytest.raises(NotFound):
        call(
            payment,
            "confirm_payment",
            {"notice_no": "JK20000101000001", "bank_txn_id": "ICBC-124", "amount_fen": 56000},
            source,
        )
    assert confirm(payment, notice, "ICBC-124", source=source)["status"] == "applied"


def test_a_payment_left_unsettled_by_a_stopped_worker_is_settled_by_the_banks_retry(payment, listener):
    """The first copy recorded the payment and its worker died before applying it."""
    from services.payment import models

    notice = require(payment, "20261126000125")
    now = utcnow()
    models.Payment(
        key=models.txn_key("ICBC-125"),
        bank_txn_id="ICBC-125",
        notice_no=notice["notice_no"],
        case_no="20261126000125",
        item_code="NR-002",
        department="natural_resources",
        amount_fen=56000,
        currency="CNY",
        status="received",
        channel="window",
        entered_by="cashier",
        received_at=now,
        day=shanghai_day(now).isoformat(),
    ).save(force_insert=True)
    with entrypoint_waiter(listener, "on_payment_confirmed"):
        retried = confirm(payment, notice, "ICBC-125")
    assert (retried["status"], retried["created"]) == ("applied", False) and retried["receipt_no"]
    assert call(payment, "get_payment", "20261126000125", CASHIER)["bank_txn_id"] == "ICBC-125"
    assert len(ConfirmedPayments.about("20261126000125")) == 1


def test_without_fees_from_the_catalog_or_the_flow_no_notice_is_issued(payment):
    with pytest.raises(FeeAssessmentError, match="no fees for item XX-001"):
        call(
            payment,
            "on_payment_required",
            {"case_no": "20261126000126", "item_code": "XX-001", "department": "taxation"},
        )
    with pytest.raises(NotFound):
        call(payment, "get_payment", "20261126000126", CASHIER)
    assert (
        require(payment, "20261126000127", item_code="XX-001", department="taxation", fee_fen=300)["total_fen"] == 300
    )
