"""The gateway's payment endpoints: who may confirm a payment (the bank's signature or the
cashier, nobody else), and precise problems for bad input, without a broker."""

import json
import time

import pytest

from gateway.auth import DEMO_USERS
from gateway.bank_signatures import sign
from gateway.rpc import RemoteError
from services.common.config import DEFAULTS

PROBLEM = "application/problem+json"
BANK, SECRET = DEFAULTS["BANK_SECRETS"].split(":", 1)
CONFIRMATION = {"notice_no": "JK20261126000001", "bank_txn_id": "ICBC-0001", "amount_fen": 8000, "currency": "CNY"}
PAYMENT = {
    "bank_txn_id": "ICBC-0001",
    "notice_no": "JK20261126000001",
    "status": "applied",
    "amount_fen": 8000,
    "receipt_no": "PJ20261126000001",
    "created": True,
}
NONCE = "n0nce-0123456789abcdef"


def signed(body, secret=SECRET, timestamp=None, nonce=NONCE, bank=BANK):
    raw = json.dumps(body).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return raw, {
        "Content-Type": "application/json",
        "X-Bank-Id": bank,
        "X-Bank-Timestamp": timestamp,
        "X-Bank-Nonce": nonce,
        "X-Bank-Signature": sign(secret, timestamp, nonce, raw),
    }


@pytest.fixture
def payment_answers(fake_rpc):
    fake_rpc.answer("payment", "confirm_payment", PAYMENT)
    return fake_rpc


def test_a_signed_bank_confirmation_is_passed_on_with_the_bank_and_its_nonce(client, payment_answers):
    raw, headers = signed(CONFIRMATION)
    answer = client.post("/api/v1/payments/bank-confirmations", data=raw, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    [call] = payment_answers.calls_to("payment", "confirm_payment")
    assert call.args == (CONFIRMATION, {"channel": BANK, "actor": BANK, "nonce": NONCE})


def test_a_repeated_confirmation_answers_200_with_the_first_payment(client, fake_rpc):
    fake_rpc.answer("payment", "confirm_payment", dict(PAYMENT, created=False))
    raw, headers = signed(CONFIRMATION)
    answer = client.post("/api/v1/payments/bank-confirmations", data=raw, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["receipt_no"] == "PJ20261126000001"


@pytest.mark.parametrize(
    "tamper, detail",
    [
        (lambda raw, h: (raw.replace(b"8000", b"1"), h), "signature does not match"),
        (
            lambda raw, h: (
                raw,
                dict(h, **{"X-Bank-Signature": sign("guessed-secret", h["X-Bank-Timestamp"], NONCE, raw)}),
            ),
            "signature does not match",
        ),
        (lambda raw, h: (raw, dict(h, **{"X-Bank-Nonce": "another-nonce-0123456"})), "signature does not match"),
        (lambda raw, h: (raw, dict(h, **{"X-Bank-Signature": "é" * 64})), "signature does not match"),
        (lambda raw, h: (raw, dict(h, **{"X-Bank-Id": "unknown-bank"})), "not a configured bank"),
        (lambda raw, h: (raw, dict(h, **{"X-Bank-Timestamp": "yesterday"})), "unix seconds"),
        (lambda raw, h: (raw, dict(h, **{"X-Bank-Nonce": "short"})), "X-Bank-Nonce"),
    ],
)
def test_a_forged_bank_request_is_refused_with_401_and_reaches_no_service(client, fake_rpc, tamper, detail):
    raw, headers = tamper(*signed(CONFIRMATION))
    answer = client.post("/api/v1/payments/bank-confirmations", data=raw, headers=headers)
    assert answer.status_code == 401 and answer.mimetype == PROBLEM
    assert detail in answer.get_json()["detail"]
    assert fake_rpc.calls == []


@pytest.mark.parametrize("age", [-3600, 301, 86400])
def test_a_stale_or_future_timestamp_is_refused(client, fake_rpc, age):
    raw, headers = signed(CONFIRMATION, timestamp=int(time.time()) - age)
    answer = client.post("/api/v1/payments/bank-confirmations", data=raw, headers=headers)
    assert answer.status_code == 401 and "stale" in answer.get_json()["detail"]
    assert fake_rpc.calls == []


def test_a_replayed_nonce_refused_by_the_payment_service_is_a_409(client, fake_rpc):
    fake_rpc.answer(
        "payment",
        "confirm_payment",
        raises=RemoteError(
            "payment", {"exc_type": "Conflict", "exc_args": ["nonce 'n0nce…' of bank hall-bank was already used", []]}
        ),
    )
    raw, headers = signed(CONFIRMATION)
    answer = client.post("/api/v1/payments/bank-confirmations", data=raw, headers=headers)
    assert answer.status_code == 409 and answer.mimetype == PROBLEM


@pytest.mark.parametrize("username", [name for name, *_ in DEMO_USERS])
def test_only_the_cashier_may_enter_a_confirmation_at_the_bank_window(client, bearer, payment_answers, username):
    answer = client.post("/api/v1/payments/bank-confirmations", json=CONFIRMATION, headers=bearer(username))
    calls = payment_answers.calls_to("payment", "confirm_payment")
    if username == "cashier":
        assert answer.status_code == 201
        assert calls[0].args[1] == {"channel": "window", "actor": "cashier"}
    else:
        assert answer.status_code == 403 and answer.mimetype == PROBLEM
        assert calls == []


@pytest.mark.parametrize("username", [name for name, *_ in DEMO_USERS])
def test_only_the_cashier_may_enter_a_refund_confirmation(client, bearer, fake_rpc, username):
    fake_rpc.answer("payment", "confirm_refund", {"refund_no": "TF20261126000001", "created": True})
    body = {"refund_no": "TF20261126000001", "bank_txn_id": "ICBC-R-1", "amount_fen": 100}
    answer = client.post("/api/v1/payments/bank-refund-confirmations", json=body, headers=bearer(username))
    assert answer.status_code == (201 if username == "cashier" else 403)
    assert len(fake_rpc.calls_to("payment", "confirm_refund")) == (username == "cashier")


def test_a_confirmation_without_signature_or_token_is_401(client, fake_rpc):
    answer = client.post("/api/v1/payments/bank-confirmations", json=CONFIRMATION)
    assert answer.status_code == 401 and answer.mimetype == PROBLEM
    assert fake_rpc.calls == []


@pytest.mark.parametrize(
    "change, field",
    [
        ({"amount_fen": 0}, "amount_fen"),
        ({"amount_fen": -100}, "amount_fen"),
        ({"amount_fen": 80.5}, "amount_fen"),
        ({"amount_fen": "8000"}, "amount_fen"),
        ({"currency": "USD"}, "currency"),
        ({"notice_no": "20261126000001"}, "notice_no"),
        ({"bank_txn_id": ""}, "bank_txn_id"),
        ({"extra": 1}, "body"),
    ],
)
def test_a_bad_confirmation_is_a_422_naming_the_field_and_reaches_no_service(client, fake_rpc, change, field):
    raw, headers = signed({**CONFIRMATION, **change})
    answer = client.post("/api/v1/payments/bank-confirmations", data=raw, headers=headers)
    assert answer.status_code == 422 and answer.mimetype == PROBLEM
    assert field in [e["field"] for e in answer.get_json()["errors"]]
    assert fake_rpc.calls == []


def test_a_confirmation_that_is_not_json_is_refused(client, bearer, fake_rpc):
    answer = client.post(
        "/api/v1/payments/bank-confirmations",
        data="amount=1",
        headers={**bearer("cashier"), "Content-Type": "text/plain"},
    )
    assert answer.status_code == 415
    answer = client.post(
        "/api/v1/payments/bank-confirmations",
        data="{not json",
        headers={**bearer("cashier"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert fake_rpc.calls == []


def test_staff_see_a_payment_as_themselves_and_the_applicant_with_the_query_code(client, bearer, fake_rpc):
    fake_rpc.answer("payment", "get_payment", {"notice_no": "JK20261126000001"})
    fake_rpc.answer("payment", "get_public_payment", {"notice_no": "JK20261126000001"})
    assert client.get("/api/v1/cases/20261126000001/payment", headers=bearer("reviewer")).status_code == 200
    assert fake_rpc.calls_to("payment", "get_payment")[0].args[1]["department"] == "market_regulation"
    answer = client.get("/api/v1/cases/20261126000001/payment?query_code=ABCD2345")
    assert answer.status_code == 200
    assert fake_rpc.calls_to("payment", "get_public_payment")[0].args == ("20261126000001", "ABCD2345")
    nobody = client.get("/api/v1/cases/20261126000001/payment")
    assert nobody.status_code == 401 and nobody.mimetype == PROBLEM


def test_a_designer_may_not_see_a_payment(client, bearer, fake_rpc):
    answer = client.get("/api/v1/cases/20261126000001/payment", headers=bearer("designer"))
    assert answer.status_code == 403 and fake_rpc.calls == []


@pytest.mark.parametrize("username, allowed", [(name, name in ("cashier", "admin")) for name, *_ in DEMO_USERS])
def test_refunds_are_asked_for_and_decided_by_the_cashier_or_the_admin_only(
    client, bearer, fake_rpc, username, allowed
):
    fake_rpc.answer("payment", "request_refund", {"refund_no": "TF20261126000001"})
    fake_rpc.answer("payment", "decide_refund", {"refund_no": "TF20261126000001"})
    asked = client.post(
        "/api/v1/payments/ICBC-0001/refunds", json={"amount_fen": 100, "reason": "多缴"}, headers=bearer(username)
    )
    decided = client.post(
        "/api/v1/payments/refunds/TF20261126000001/decision", json={"approve": True}, headers=bearer(username)
    )
    assert (asked.status_code, decided.status_code) == ((201, 200) if allowed else (403, 403))


def test_a_refund_without_a_reason_is_refused_before_the_service(client, bearer, fake_rpc):
    answer = client.post("/api/v1/payments/ICBC-0001/refunds", json={"amount_fen": 100}, headers=bearer("cashier"))
    assert answer.status_code == 422 and "reason" in [e["field"] for e in answer.get_json()["errors"]]
    assert fake_rpc.calls == []


def test_a_statement_must_be_csv_for_a_day(client, bearer, fake_rpc):
    headers = bearer("cashier")
    assert (
        client.post("/api/v1/payments/reconciliations?day=2026-11-26", json={"a": 1}, headers=headers).status_code
        == 415
    )
    assert (
        client.post("/api/v1/payments/reconciliations", data="x", content_type="text/csv", headers=headers).status_code
        == 400
    )
    not_utf8 = client.post(
        "/api/v1/payments/reconciliations?day=2026-11-26",
        data=b"\xff\xfe\x00",
        content_type="text/csv",
        headers=headers,
    )
    assert not_utf8.status_code == 400 and not_utf8.mimetype == PROBLEM
    assert fake_rpc.calls == []


def test_a_statement_is_passed_on_and_its_report_has_a_location(client, bearer, fake_rpc):
    fake_rpc.answer("payment", "reconcile", {"report_id": "a" * 64, "created": True})
    answer = client.post(
        "/api/v1/payments/reconciliations?day=2026-11-26",
        data="bank_txn_id,notice_no\n",
        content_type="text/csv",
        headers=bearer("supervisor"),
    )
    assert answer.status_code == 201
    assert answer.headers["Location"] == "/api/v1/payments/reconciliations/" + "a" * 64
    assert fake_rpc.calls_to("payment", "reconcile")[0].args[:2] == ("2026-11-26", "bank_txn_id,notice_no\n")


def test_production_ignores_the_public_demo_bank_secret():
    from gateway.bank_signatures import configured_banks

    settings = {"APP_ENV": "production", "BANK_SECRETS": DEFAULTS["BANK_SECRETS"] + ",bank-b:own-secret-0123"}
    assert configured_banks(settings) == {"bank-b": "own-secret-0123"}
    assert configured_banks(dict(settings, APP_ENV="demo")) == {BANK: SECRET, "bank-b": "own-secret-0123"}


def test_a_demo_signature_is_refused_in_production(app_config, fake_rpc):
    from gateway import create_app
    from gateway.production import UnsafeProduction

    with pytest.raises(UnsafeProduction, match="BANK_SECRETS holds the public demo secret"):
        create_app(dict(app_config, APP_ENV="production"))  # the demo secret stops production at start-up
    client = create_app(dict(app_config, APP_ENV="production", BANK_SECRETS="bank-b:own-secret-0123")).test_client()
    raw, headers = signed(CONFIRMATION)
    answer = client.post("/api/v1/payments/bank-confirmations", data=raw, headers=headers)
    assert answer.status_code == 401 and fake_rpc.calls == []


@pytest.mark.parametrize("username", [name for name, *_ in DEMO_USERS])
def test_payments_needing_attention_are_the_cashiers_list(client, bearer, fake_rpc, username):
    fake_rpc.answer("payment", "payments_needing_the_cashier", [])
    answer = client.get("/api/v1/payments/attention", headers=bearer(username))
    assert answer.status_code == (200 if username == "cashier" else 403)
