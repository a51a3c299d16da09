"""Stories of the bank window, told through the gateway with the whole platform running:
an application whose flow reaches its payment step is paid at the bank, exactly once,
and the day's money is accounted for.

The approval flows that dispatch ``payment_required`` are another issue's work; here the
test plays the flow and dispatches the event on the platform's broker."""

import json
import time
import uuid

import pytest
import requests
from nameko.standalone.events import event_dispatcher

from gateway.auth import DEMO_USERS
from gateway.bank_signatures import sign
from services.common.config import DEFAULTS
from services.intake.catalog import load_catalog
from stack.platform import REPO_ROOT
from tests.waiting import eventually

BANK, SECRET = DEFAULTS["BANK_SECRETS"].split(":", 1)
PERSON = {"kind": "person", "name": "赵六", "id_number": "11010519491231002X"}
PROBLEM = "application/problem+json"


def signed_post(gateway, path, body, nonce=None):
    raw = json.dumps(body).encode()
    timestamp, nonce = str(int(time.time())), nonce or uuid.uuid4().hex
    return gateway.session.post(
        f"{gateway.url}{path}",
        data=raw,
        timeout=15,
        headers={
            "Content-Type": "application/json",
            "X-Bank-Id": BANK,
            "X-Bank-Timestamp": timestamp,
            "X-Bank-Nonce": nonce,
            "X-Bank-Signature": sign(SECRET, timestamp, nonce, raw),
        },
    )


@pytest.fixture(scope="module")
def fee_item():
    """An item of the published catalog that bears fees, and a complete application for it."""
    seed = load_catalog(REPO_ROOT / "catalog")
    item = next(i for i in seed.items.values() if i.fees and i.code not in seed.retired)
    return item, {
        "item_code": item.code,
        "applicant": PERSON,
        "materials": [m.code for m in item.materials if m.required],
    }


def reach_payment_step(platform, gateway, fee_item):
    item, application = fee_item
    answer = gateway.post("/api/v1/cases", json=application)
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    event_dispatcher({"AMQP_URI": platform.broker.amqp_uri})(
        "approval",
        "payment_required",
        {
            "case_no": receipt["case_no"],
            "item_code": item.code,
            "department": item.department,
            "requested_at": "2026-11-26T02:00:00+00:00",
        },
    )
    path = f"/api/v1/cases/{receipt['case_no']}/payment"
    notice = eventually(
        lambda: (a := gateway.get(path, as_user="cashier")).status_code == 200 and a.json(), "the payment notice"
    )
    return receipt, notice


def test_a_fee_is_paid_once_at_the_bank_and_the_applicant_sees_the_receipt(platform, gateway, fee_item):
    item, _ = fee_item
    receipt, notice = reach_payment_step(platform, gateway, fee_item)
    assert notice["total_fen"] == sum(fee.amount_fen for fee in item.fees)
    assert notice["payer"] == {"kind": "person", "name": PERSON["name"], "id_number": PERSON["id_number"]}
    assert [line["code"] for line in notice["lines"]] == [fee.code for fee in item.fees]

    body = {
        "notice_no": notice["notice_no"],
        "bank_txn_id": f"{time.strftime('%Y-%m-%d')}-{uuid.uuid4().hex[:8]}",
        "amount_fen": notice["total_fen"],
        "currency": "CNY",
    }
    nonce = uuid.uuid4().hex
    paid = signed_post(gateway, "/api/v1/payments/bank-confirmations", body, nonce)
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "applied" and paid.json()["receipt_no"].startswith("PJ")
    replayed = signed_post(gateway, "/api/v1/payments/bank-confirmations", body, nonce)
    assert replayed.status_code == 409 and replayed.headers["Content-Type"] == PROBLEM
    again = signed_post(gateway, "/api/v1/payments/bank-confirmations", body)
    assert again.status_code == 200 and again.json()["receipt_no"] == paid.json()["receipt_no"]

    public = gateway.get(f"/api/v1/cases/{receipt['case_no']}/payment", params={"query_code": receipt["query_code"]})
    assert public.status_code == 200
    assert (public.json()["status"], public.json()["receipt_no"]) == ("paid", paid.json()["receipt_no"])
    assert PERSON["id_number"] not in public.text
    wrong = gateway.get(f"/api/v1/cases/{receipt['case_no']}/payment", params={"query_code": "WRONG234"})
    assert wrong.status_code == 404

    day = gateway.get(
        "/api/v1/payments/stats",
        as_user="supervisor",
        params={"day": time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))},
    ).json()
    row = next(r for r in day["items"] if r["item_code"] == item.code)
    assert row["paid_fen"] >= notice["total_fen"] and isinstance(row["paid_fen"], int)
    metrics = requests.get(f"http://127.0.0.1:{platform.metrics_ports['payment']}/metrics", timeout=5).text
    assert (
        f'hall_payment_amount_fen_total{{department="{item.department}",direction="paid",item_code="{item.code}"}}'
        in metrics
    )


def test_no_one_but_the_cashier_and_the_bank_marks_a_notice_paid(platform, gateway, fee_item):
    receipt, notice = reach_payment_step(platform, gateway, fee_item)
    body = {"notice_no": notice["notice_no"], "bank_txn_id": uuid.uuid4().hex, "amount_fen": notice["total_fen"]}
    for user in [name for name, *_ in DEMO_USERS if name != "cashier"]:
        refused = gateway.post("/api/v1/payments/bank-confirmations", as_user=user, json=body)
        assert refused.status_code == 403 and refused.headers["Content-Type"] == PROBLEM, user
    genuine = signed_post(gateway, "/api/v1/payments/bank-confirmations", body)
    assert genuine.status_code == 201
    bank_headers = {k: v for k, v in genuine.request.headers.items() if k.startswith("X-Bank")}
    tampered = gateway.session.post(
        f"{gateway.url}/api/v1/payments/bank-confirmations",
        timeout=15,
        json=dict(body, amount_fen=1, bank_txn_id=uuid.uuid4().hex),
        headers=bank_headers,
    )
    assert tampered.status_code == 401 and tampered.headers["Content-Type"] == PROBLEM
    assert gateway.get(f"/api/v1/cases/{receipt['case_no']}/payment", as_user="cashier").json()["status"] == "paid"


def test_a_refund_is_asked_for_by_the_cashier_approved_by_the_admin_and_paid_by_the_bank(platform, gateway, fee_item):
    _, notice = reach_payment_step(platform, gateway, fee_item)
    txn = uuid.uuid4().hex
    paid = gateway.post(
        "/api/v1/payments/bank-confirmations",
        as_user="cashier",
        json={"notice_no": notice["notice_no"], "bank_txn_id": txn, "amount_fen": notice["total_fen"]},
    )
    assert paid.status_code == 201 and paid.json()["channel"] == "window"
    too_much = gateway.post(
        f"/api/v1/payments/{txn}/refunds",
        as_user="cashier",
        json={"amount_fen": notice["total_fen"] + 1, "reason": "多缴"},
    )
    assert too_much.status_code == 422
    refund = gateway.post(
        f"/api/v1/payments/{txn}/refunds", as_user="cashier", json={"amount_fen": 100, "reason": "多收工本费"}
    ).json()
    decision = f"/api/v1/payments/refunds/{refund['refund_no']}/decision"
    assert gateway.post(decision, as_user="cashier", json={"approve": True}).status_code == 403
    assert gateway.post(decision, as_user="admin", json={"approve": True}).json()["status"] == "approved"
    done = signed_post(
        gateway,
        "/api/v1/payments/bank-refund-confirmations",
        {"refund_no": refund["refund_no"], "bank_txn_id": uuid.uuid4().hex, "amount_fen": 100},
    )
    assert done.status_code == 201 and done.json()["status"] == "refunded"


def test_the_daily_statement_is_reconciled_and_the_report_can_be_downloaded(platform, gateway, fee_item):
    _, notice = reach_payment_step(platform, gateway, fee_item)
    txn = uuid.uuid4().hex
    paid = signed_post(
        gateway,
        "/api/v1/payments/bank-confirmations",
        {"notice_no": notice["notice_no"], "bank_txn_id": txn, "amount_fen": notice["total_fen"]},
    )
    assert paid.status_code == 201
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
    statement = f"bank_txn_id,notice_no,amount_fen,currency\n{txn},{notice['notice_no']},{notice['total_fen']},CNY\n"
    first = gateway.post(
        "/api/v1/payments/reconciliations",
        as_user="cashier",
        params={"day": day},
        data=statement.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert first.status_code == 201, first.text
    assert txn in [m["bank_txn_id"] for m in first.json()["matched"]]
    second = gateway.post(
        "/api/v1/payments/reconciliations",
        as_user="cashier",
        params={"day": day},
        data=statement.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert second.status_code == 200 and second.json()["report_id"] == first.json()["report_id"]
    download = gateway.get(first.headers["Location"], as_user="supervisor")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.json()["summary"] == first.json()["summary"]
    malformed = gateway.post(
        "/api/v1/payments/reconciliations",
        as_user="cashier",
        params={"day": day},
        data=b"bank_txn_id,amount\nX,12.5\n",
        headers={"Content-Type": "text/csv"},
    )
    assert malformed.status_code == 422 and malformed.headers["Content-Type"] == PROBLEM
