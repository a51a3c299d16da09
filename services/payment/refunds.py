"""Refunds (退费): money back to the payer of a payment.

A refund needs a reason and the approval of a second person (four-eyes: whoever asked
may not approve), never exceeds what was paid less the refunds already asked for (an
atomic conditional reservation on the payment, so concurrent requests cannot overshoot),
and is done only when the bank confirms it, like a payment.
"""

import mongoengine as me

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.time import isoformat
from services.payment import audit, models, stats
from services.payment.confirmations import CURRENCY, claim_nonce
from services.payment.fees import is_fen
from services.payment.numbering import REFUND, next_number

MAX_REASON = 500
REFUNDABLE = ("applied", "held", "refund_due")


def _amount(value, field="amount_fen"):
    if not is_fen(value) or value <= 0:
        raise InvalidInput(
            f"{field} must be a positive integer of fen",
            [{"field": field, "message": "must be a positive integer of fen"}],
        )
    return value


def request(bank_txn_id, amount_fen, reason, user, now):
    _amount(amount_fen)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(
            "a refund needs a reason", [{"field": "reason", "message": f"required, 1 to {MAX_REASON} characters"}]
        )
    payment = models.Payment.objects(key=models.txn_key(bank_txn_id)).first()
    if payment is None:
        raise NotFound(f"payment {bank_txn_id} does not exist")
    if payment.status not in REFUNDABLE:
        raise Conflict(f"payment {bank_txn_id} is {payment.status}: it cannot be refunded")
    reserved = models.Payment.objects(
        key=models.txn_key(bank_txn_id), refund_reserved_fen__lte=payment.amount_fen - amount_fen
    ).modify(new=True, inc__refund_reserved_fen=amount_fen)
    if reserved is None:
        left = payment.amount_fen - models.Payment.objects(key=models.txn_key(bank_txn_id)).first().refund_reserved_fen
        raise InvalidInput(
            f"a refund of {amount_fen} fen exceeds what is left of the payment ({left} fen)",
            [{"field": "amount_fen", "message": f"at most {left} fen"}],
        )
    refund = models.Refund(
        refund_no=next_number(REFUND, now),
        bank_txn_id=bank_txn_id,
        notice_no=payment.notice_no,
        case_no=payment.case_no,
        item_code=payment.item_code,
        department=payment.department,
        amount_fen=amount_fen,
        reason=reason,
        status="requested",
        requested_by=user["username"],
        requested_at=now,
    )
    refund.save(force_insert=True)
    audit.record(
        user["username"],
        "refund_requested",
        f"refund:{refund.refund_no}",
        now,
        bank_txn_id=bank_txn_id,
        amount_fen=amount_fen,
        reason=reason,
    )
    stats.count_refund("requested")
    return refund


def get(refund_no):
    refund = models.Refund.objects(refund_no=refund_no).first()
    if refund is None:
        raise NotFound(f"refund {refund_no} does not exist")
    return refund


def decide(refund_no, approve, user, now):
    """The second person approves or rejects a requested refund."""
    refund = get(refund_no)
    if refund.requested_by == user["username"]:
        raise Forbidden(f"refund {refund_no} was asked for by {user['username']}: a second person must decide it")
    status = "approved" if approve else "rejected"
    decided = models.Refund.objects(refund_no=refund_no, status="requested").modify(
        new=True, set__status=status, set__decided_by=user["username"], set__decided_at=now
    )
    if decided is None:
        raise Conflict(f"refund {refund_no} is {refund.status}, not waiting for a decision")
    if not approve:
        models.Payment.objects(key=models.txn_key(refund.bank_txn_id)).update_one(
            dec__refund_reserved_fen=refund.amount_fen
        )
    audit.record(user["username"], f"refund_{status}", f"refund:{refund_no}", now)
    stats.count_refund(status)
    return decided


def confirm(confirmation, source, now, nonce_ttl_seconds):
    """The bank paid an approved refund back; idempotent by the bank's transaction id.
    ``(refund, created)``."""
    errors = []
    for field in ("refund_no", "bank_txn_id"):
        if not isinstance(confirmation.get(field), str) or not confirmation[field].strip():
            errors.append({"field": field, "message": "required"})
    if not is_fen(confirmation.get("amount_fen")) or confirmation["amount_fen"] <= 0:
        errors.append({"field": "amount_fen", "message": "must be a positive integer of fen"})
    if confirmation.get("currency", CURRENCY) != CURRENCY:
        errors.append({"field": "currency", "message": f"the hall refunds {CURRENCY} only"})
    if errors:
        raise InvalidInput("the refund confirmation is not valid", errors)
    refund = get(confirmation["refund_no"])
    if refund.amount_fen != confirmation["amount_fen"]:
        raise InvalidInput(
            f"refund {refund.refund_no} is for {refund.amount_fen} fen, not {confirmation['amount_fen']}",
            [{"field": "amount_fen", "message": "differs from the refund"}],
        )
    claim_nonce(source, now, nonce_ttl_seconds)
    if refund.status == "refunded" and refund.bank_refund_txn_id == confirmation["bank_txn_id"]:
        return refund, False
    try:
        done = models.Refund.objects(refund_no=refund.refund_no, status="approved").modify(
            new=True, set__status="refunded", set__bank_refund_txn_id=confirmation["bank_txn_id"], set__refunded_at=now
        )
    except me.NotUniqueError:
        raise Conflict(f"bank transaction {confirmation['bank_txn_id']} already confirmed another refund") from None
    if done is None:
        refund.reload()
        if refund.status == "refunded" and refund.bank_refund_txn_id == confirmation["bank_txn_id"]:
            return refund, False
        raise Conflict(f"refund {refund.refund_no} is {refund.status}: only an approved refund is paid out")
    audit.record(
        source["actor"],
        "refund_paid",
        f"refund:{refund.refund_no}",
        now,
        bank_txn_id=confirmation["bank_txn_id"],
        channel=source["channel"],
    )
    stats.add_refunded(done, now)
    stats.count_refund("refunded")
    return done, True


def view(refund):
    return {
        "refund_no": refund.refund_no,
        "bank_txn_id": refund.bank_txn_id,
        "notice_no": refund.notice_no,
        "case_no": refund.case_no,
        "amount_fen": refund.amount_fen,
        "currency": CURRENCY,
        "reason": refund.reason,
        "status": refund.status,
        "requested_by": refund.requested_by,
        "requested_at": isoformat(refund.requested_at),
        "decided_by": refund.decided_by,
        "decided_at": isoformat(refund.decided_at),
        "bank_refund_txn_id": refund.bank_refund_txn_id,
        "refunded_at": isoformat(refund.refunded_at),
    }
