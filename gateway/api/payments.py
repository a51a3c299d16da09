"""Unified fee collection (统一收费): payment notices, bank confirmations, refunds,
reconciliation and the day's totals.

Only the bank marks a notice paid: a request signed by a configured bank
(``gateway.bank_signatures``) or the ``cashier`` at the bank window. Two endpoints take
either, so they check the caller themselves (``_bank_or_cashier``) instead of
``requires_role``; ``checks_roles_itself`` declares their roles for the OpenAPI check.
"""

import time

from flask import Blueprint, current_app, g, jsonify, request

from gateway import bank_signatures
from gateway.api import rpc
from gateway.auth import API_KEY_HEADER, checks_roles_itself, current_principal, requires_role
from gateway.idempotency import idempotency
from gateway.problems import Problem
from gateway.validation import json_body

STAFF_ROLES = ("clerk", "reviewer", "chief", "cashier", "supervisor", "admin")
BANK_WINDOW = ("cashier",)
REFUND_ROLES = ("cashier", "admin")
MONEY_OVERSEERS = ("cashier", "supervisor", "admin")
MAX_STATEMENT_BYTES = 2 * 1024 * 1024

bp = Blueprint("payments", __name__, url_prefix="/api/v1")


def _bank_or_cashier():
    """The RPC ``source`` of a confirmation: a bank whose signature is right, or the cashier."""
    if request.headers.get(bank_signatures.SIGNATURE_HEADER):
        bank, nonce = bank_signatures.verify(request.headers, request.get_data(), current_app.config, time.time())
        return {"channel": bank, "actor": bank, "nonce": nonce}
    principal = current_principal()
    if not set(BANK_WINDOW) & set(principal["roles"]):
        raise Problem(
            403, "Forbidden", "only the bank (signed request) or the cashier at the bank window may confirm a payment"
        )
    return {"channel": "window", "actor": principal["username"]}


def _scope(source):
    """Whose Idempotency-Key a confirmation carries: a signing bank's, or the cashier's (the caller's)."""
    return f"bank:{source['actor']}" if "nonce" in source else None


def _created(answer, location=None):
    response = jsonify(answer)
    response.status_code = 201 if answer.get("created") else 200
    if location:
        response.headers["Location"] = location
    return response


@bp.get("/cases/<case_no>/payment")
@checks_roles_itself(*STAFF_ROLES)  # with a bearer token; the applicant gives the query code
def get_case_payment(case_no):
    if request.headers.get("Authorization") or request.headers.get(API_KEY_HEADER):
        principal = current_principal()
        if not set(STAFF_ROLES) & set(principal["roles"]):
            raise Problem(403, "Forbidden", f"this needs one of the roles: {', '.join(STAFF_ROLES)}")
        return jsonify(rpc().payment.get_payment(case_no, principal))
    query_code = request.args.get("query_code")
    if not query_code:
        raise Problem(
            401,
            "Unauthorized",
            "staff need a bearer token; the applicant gives the query code printed on the receipt (?query_code=…)",
            headers={"WWW-Authenticate": 'Bearer realm="hall"'},
        )
    return jsonify(rpc().payment.get_public_payment(case_no, query_code))


@bp.post("/payments/bank-confirmations")
@checks_roles_itself(*BANK_WINDOW)
def confirm_payment():
    source = _bank_or_cashier()
    confirmation = json_body("BankConfirmation")
    return _created(
        rpc().payment.confirm_payment(confirmation, source, idempotency=idempotency(confirmation, scope=_scope(source)))
    )


@bp.post("/payments/bank-refund-confirmations")
@checks_roles_itself(*BANK_WINDOW)
def confirm_refund():
    source = _bank_or_cashier()
    confirmation = json_body("BankRefundConfirmation")
    return _created(
        rpc().payment.confirm_refund(confirmation, source, idempotency=idempotency(confirmation, scope=_scope(source)))
    )


@bp.get("/payments/attention")
@requires_role(*BANK_WINDOW)
def payments_needing_the_cashier():
    return jsonify(payments=rpc().payment.payments_needing_the_cashier())


@bp.post("/payments/<bank_txn_id>/refunds")
@requires_role(*REFUND_ROLES)
def request_refund(bank_txn_id):
    body = json_body("RefundRequest")
    refund = rpc().payment.request_refund(
        bank_txn_id, body["amount_fen"], body["reason"], g.principal, idempotency=idempotency(body)
    )
    return _created(dict(refund, created=True))


@bp.post("/payments/refunds/<refund_no>/decision")
@requires_role(*REFUND_ROLES)
def decide_refund(refund_no):
    body = json_body("RefundDecision")
    return jsonify(rpc().payment.decide_refund(refund_no, body["approve"], g.principal, idempotency=idempotency(body)))


@bp.post("/payments/reconciliations")
@requires_role(*MONEY_OVERSEERS)
def reconcile():
    if request.mimetype != "text/csv":
        raise Problem(415, "Unsupported media type", "send the bank's statement as text/csv")
    day = request.args.get("day")
    if not day:
        raise Problem(400, "Bad request", "day=YYYY-MM-DD (the statement's hall day) is required")
    raw = request.get_data()
    if len(raw) > MAX_STATEMENT_BYTES:
        raise Problem(413, "Payload too large", f"a statement is at most {MAX_STATEMENT_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(400, "Bad request", "the statement is not UTF-8 text") from None
    report = rpc().payment.reconcile(
        day,
        text,
        request.args.get("bank", "hall-bank"),
        g.principal,
        idempotency=idempotency({"statement": text, "query": request.args.to_dict()}),
    )
    return _created(report, f"/api/v1/payments/reconciliations/{report['report_id']}")


@bp.get("/payments/reconciliations/<report_id>")
@requires_role(*MONEY_OVERSEERS)
def get_reconciliation(report_id):
    response = jsonify(rpc().payment.get_reconciliation(report_id))
    response.headers["Content-Disposition"] = f'attachment; filename="reconciliation-{report_id[:12]}.json"'
    return response


@bp.get("/payments/stats")
@requires_role(*STAFF_ROLES)
def payment_stats():
    day = request.args.get("day")
    if not day:
        raise Problem(400, "Bad request", "day=YYYY-MM-DD is required")
    return jsonify(rpc().payment.daily_stats(day, g.principal, department=request.args.get("department")))
