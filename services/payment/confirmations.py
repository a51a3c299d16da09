"""Bank confirmations (银行确认): money the bank window took for a payment notice.

Exactly once: a payment is keyed by the bank's transaction id, so a repeated or
concurrent copy of a confirmation finds the payment the first copy recorded; and a
notice moves from ``issued`` to ``paid`` by one conditional update, so two different
transactions can never both pay it (the second is due for refund). An amount that
differs from the notice is held for the cashier, never applied. Bank requests carry a
nonce that is accepted once (remembered here, in the service's store, so that every
gateway replica and a restart see the same memory).
"""

import time
from datetime import timedelta

import mongoengine as me

from services.common.db import objects_with_any
from services.common.errors import Conflict, InvalidInput
from services.common.time import isoformat
from services.common.workdays import shanghai_day
from services.payment import audit, models, notices, stats
from services.payment.fees import is_fen
from services.payment.numbering import RECEIPT, next_number

CURRENCY = "CNY"
MAX_TXN_ID = 64
# How long a repeated confirmation waits for the copy that recorded the payment to settle it.
SETTLE_WAIT_STEPS, SETTLE_WAIT_STEP_SECONDS = 30, 0.1


def check(confirmation):
    """Refuse a malformed confirmation before anything is stored."""
    errors = []
    txn = confirmation.get("bank_txn_id")
    if not isinstance(txn, str) or not 1 <= len(txn.strip()) <= MAX_TXN_ID:
        errors.append({"field": "bank_txn_id", "message": f"required, 1 to {MAX_TXN_ID} characters"})
    if not isinstance(confirmation.get("notice_no"), str) or not confirmation["notice_no"]:
        errors.append({"field": "notice_no", "message": "required"})
    amount = confirmation.get("amount_fen")
    if not is_fen(amount) or amount <= 0:
        errors.append({"field": "amount_fen", "message": "must be a positive integer of fen"})
    if confirmation.get("currency", CURRENCY) != CURRENCY:
        errors.append({"field": "currency", "message": f"the hall takes {CURRENCY} only"})
    if errors:
        raise InvalidInput(
            "the confirmation is not valid: " + "; ".join(f"{e['field']} {e['message']}" for e in errors), errors
        )


def remember_nonce(bank, nonce, now, ttl_seconds):
    """Accept ``nonce`` of ``bank`` once; a second use is a replayed request (409)."""
    models.UsedNonce.objects(expires_at__lt=now).delete()
    try:
        models.UsedNonce(key=f"{bank}:{nonce}", expires_at=now + timedelta(seconds=ttl_seconds)).save(force_insert=True)
    except me.NotUniqueError:
        raise Conflict(f"nonce {nonce!r} of bank {bank} was already used: a replayed request is refused") from None


def claim_nonce(source, now, ttl_seconds):
    """A bank request's nonce, claimed once the request is known to be well-formed and about
    something that exists, just before anything is written: a refused request changes nothing."""
    if source.get("nonce"):
        remember_nonce(source["channel"], source["nonce"], now, ttl_seconds)


def confirm(confirmation, source, now, nonce_ttl_seconds):
    """Record the payment of ``confirmation`` once: ``(payment, created, applied)``, where
    ``applied`` says that this call paid the notice (and so must announce it).

    ``source``: ``{"channel": <bank id or "window">, "actor": <bank id or cashier>, "nonce"?}``.
    """
    check(confirmation)
    txn = confirmation["bank_txn_id"].strip()
    notice = notices.get(confirmation["notice_no"])
    claim_nonce(source, now, nonce_ttl_seconds)
    existing = models.Payment.objects(key=models.txn_key(txn)).first()
    if existing is not None:
        return _repeat(existing, confirmation, now)
    payment = models.Payment(
        key=models.txn_key(txn),
        bank_txn_id=txn,
        notice_no=notice.notice_no,
        case_no=notice.case_no,
        item_code=notice.item_code,
        department=notice.department,
        amount_fen=confirmation["amount_fen"],
        currency=CURRENCY,
        status="received",
        channel=source["channel"],
        entered_by=source["actor"],
        received_at=now,
        day=shanghai_day(now).isoformat(),
    )
    try:
        payment.save(force_insert=True)
    except me.NotUniqueError:  # the same confirmation, concurrently: the other copy records it
        return _repeat(models.Payment.objects(key=models.txn_key(txn)).first(), confirmation, now)
    audit.record(
        source["actor"],
        "payment_received",
        f"payment:{txn}",
        now,
        notice_no=notice.notice_no,
        amount_fen=payment.amount_fen,
        channel=payment.channel,
    )
    return payment, True, _settle(payment, notice, now)


def _repeat(payment, confirmation, now):
    """A copy of a recorded confirmation: the first payment, once it is settled."""
    if payment.notice_no != confirmation["notice_no"] or payment.amount_fen != confirmation["amount_fen"]:
        raise Conflict(
            f"bank transaction {payment.bank_txn_id} was already confirmed for notice "
            f"{payment.notice_no} with {payment.amount_fen} fen"
        )
    for _ in range(SETTLE_WAIT_STEPS):
        if payment.status != "received":
            return payment, False, False
        time.sleep(SETTLE_WAIT_STEP_SECONDS)  # the first copy is settling it right now
        payment.reload()
    # The copy that recorded it stopped before settling it (its worker died): settle it here.
    return payment, False, _settle(payment, notices.get(payment.notice_no), now)


def _settle(payment, notice, now):
    """Apply the payment to its notice, hold it, or mark it due for refund; True if applied."""
    if notice.status == "issued" and payment.amount_fen != notice.total_fen:
        _mark(
            payment,
            "held",
            f"the amount {payment.amount_fen} fen differs from the notice's {notice.total_fen} fen",
            now,
        )
        return False
    paid = None
    if notice.status == "issued":
        paid = models.PaymentNotice.objects(notice_no=notice.notice_no, status="issued").modify(
            new=True, set__status="paid", set__bank_txn_id=payment.bank_txn_id, set__paid_at=now
        )
    elif notice.status == "paid" and notice.bank_txn_id == payment.bank_txn_id:
        paid = notice  # this payment paid it before its worker stopped
    if paid is None:
        notice.reload()
        _mark(payment, "refund_due", _why_not_applied(notice), now)
        return False
    receipt_no = paid.receipt_no or next_number(RECEIPT, now)
    paid.update(set__receipt_no=receipt_no)
    payment.update(set__status="applied", set__receipt_no=receipt_no)
    payment.status, payment.receipt_no = "applied", receipt_no
    stats.add_paid(payment, now)
    audit.record(
        payment.entered_by,
        "notice_paid",
        f"notice:{notice.notice_no}",
        now,
        bank_txn_id=payment.bank_txn_id,
        receipt_no=receipt_no,
        amount_fen=payment.amount_fen,
    )
    audit.record(payment.entered_by, "payment_applied", f"payment:{payment.bank_txn_id}", now, receipt_no=receipt_no)
    return True


def _why_not_applied(notice):
    if notice.status == "cancelled":
        return f"late payment: notice {notice.notice_no} was cancelled ({notice.cancel_reason})"
    if notice.status == "waived":
        return f"notice {notice.notice_no} requires no payment"
    return f"notice {notice.notice_no} was already paid by bank transaction {notice.bank_txn_id}"


def _mark(payment, status, reason, now):
    payment.update(set__status=status, set__reason=reason)
    payment.status, payment.reason = status, reason
    audit.record(payment.entered_by, f"payment_{status}", f"payment:{payment.bank_txn_id}", now, reason=reason)


def needing_the_cashier():
    """Payments held for a mismatch or due for refund (by each status's index)."""
    found = objects_with_any(models.Payment, "status", ("held", "refund_due"))
    return sorted((view(p) for p in found), key=lambda p: p["received_at"])


def view(payment):
    return {
        "bank_txn_id": payment.bank_txn_id,
        "notice_no": payment.notice_no,
        "case_no": payment.case_no,
        "amount_fen": payment.amount_fen,
        "currency": payment.currency,
        "status": payment.status,
        "reason": payment.reason,
        "receipt_no": payment.receipt_no,
        "channel": payment.channel,
        "entered_by": payment.entered_by,
        "received_at": isoformat(payment.received_at),
        "refund_reserved_fen": payment.refund_reserved_fen,
    }
