"""The payment service's documents (database ``<prefix>_payment``). Money is integer fen.

Everything is looked up by key (notice number, case number, bank transaction id): the
embedded store scans on filtered, sorted queries (docs/decisions/0001).
"""

import mongoengine as me

from services.common.fields import InstantField

ALIAS = "payment"


class DailySequence(me.Document):
    """The last number issued for one prefix on one hall day, e.g. ``JK20261126``."""

    key = me.StringField(primary_key=True)
    last = me.IntField(default=0)

    meta = {"db_alias": ALIAS, "collection": "daily_sequences"}


class FeeLine(me.EmbeddedDocument):
    code = me.StringField(required=True)
    name = me.StringField(required=True)
    amount_fen = me.IntField(required=True, min_value=1)
    legal_basis = me.StringField(required=True)


class PaymentNotice(me.Document):
    """A payment notice (缴款通知书): one per case, paid only at the bank window.

    status: ``issued`` → ``paid``; ``issued`` → ``cancelled`` (case refused or withdrawn);
    ``waived`` for an item without a fee (no payment at all).
    """

    notice_no = me.StringField(primary_key=True)
    case_no = me.StringField(required=True, unique=True)
    item_code = me.StringField(required=True)
    department = me.StringField(required=True)
    payer = me.DictField()
    lines = me.EmbeddedDocumentListField(FeeLine)
    total_fen = me.IntField(required=True, min_value=0)
    currency = me.StringField(default="CNY")
    assessed_by = me.StringField(required=True)  # "flow" (DMN) or "catalog"
    status = me.StringField(required=True)
    due_on = me.StringField(required=True)  # hall day, YYYY-MM-DD
    issued_at = InstantField(required=True)
    bank_txn_id = me.StringField()
    receipt_no = me.StringField()
    paid_at = InstantField()
    cancelled_at = InstantField()
    cancel_reason = me.StringField()

    meta = {"db_alias": ALIAS, "collection": "payment_notices"}


def txn_key(bank_txn_id):
    """A payment's key: the bank's transaction id behind a prefix. NX-27017 0.8.1 never matches
    a query string that starts with an ISO date and goes on ("2026-11-26-0001"), and banks do
    number transactions by date."""
    return f"txn:{bank_txn_id}"


class Payment(me.Document):
    """Money the bank took for a notice, keyed by the bank's transaction id (exactly once).

    status: ``applied`` (the notice is paid by it), ``held`` (the amount differs from the
    notice: waits for the cashier), ``refund_due`` (the notice was cancelled or already
    paid: the money goes back).
    """

    key = me.StringField(primary_key=True)  # txn_key(bank_txn_id)
    bank_txn_id = me.StringField(required=True)
    notice_no = me.StringField(required=True)
    case_no = me.StringField(required=True)
    item_code = me.StringField(required=True)
    department = me.StringField(required=True)
    amount_fen = me.IntField(required=True, min_value=1)
    currency = me.StringField(required=True)
    status = me.StringField(required=True)
    reason = me.StringField()
    channel = me.StringField(required=True)  # the bank's id, or "window" when the cashier entered it
    entered_by = me.StringField(required=True)
    received_at = InstantField(required=True)
    day = me.StringField(required=True)  # hall day of receipt, for reconciliation
    receipt_no = me.StringField()
    refund_reserved_fen = me.IntField(default=0)  # fen asked back by refunds not rejected

    meta = {"db_alias": ALIAS, "collection": "payments", "indexes": ["day", "status"]}


class UsedNonce(me.Document):
    """A bank request's nonce, remembered while its timestamp could still be accepted."""

    key = me.StringField(primary_key=True)  # "<bank>:<nonce>"
    expires_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "used_nonces", "indexes": ["expires_at"]}


class Refund(me.Document):
    """Money back to the payer: requested with a reason, approved by a second person,
    confirmed by the bank. status: ``requested`` → ``approved`` → ``refunded``, or
    ``rejected``."""

    refund_no = me.StringField(primary_key=True)
    bank_txn_id = me.StringField(required=True)
    notice_no = me.StringField(required=True)
    case_no = me.StringField(required=True)
    item_code = me.StringField(required=True)
    department = me.StringField(required=True)
    amount_fen = me.IntField(required=True, min_value=1)
    reason = me.StringField(required=True)
    status = me.StringField(required=True)
    requested_by = me.StringField(required=True)
    requested_at = InstantField(required=True)
    decided_by = me.StringField()
    decided_at = InstantField()
    bank_refund_txn_id = me.StringField(unique=True, sparse=True)
    refunded_at = InstantField()

    meta = {"db_alias": ALIAS, "collection": "refunds", "indexes": ["bank_txn_id"]}


class DailyTotal(me.Document):
    """Money taken and given back on one hall day for one item of one department."""

    key = me.StringField(primary_key=True)  # "<department>|<item_code>|<day>"
    day = me.StringField(required=True)
    department = me.StringField(required=True)
    item_code = me.StringField(required=True)
    paid_fen = me.IntField(default=0)
    paid_count = me.IntField(default=0)
    refunded_fen = me.IntField(default=0)
    refund_count = me.IntField(default=0)

    meta = {"db_alias": ALIAS, "collection": "daily_totals", "indexes": ["day"]}


class Reconciliation(me.Document):
    """The report of matching one bank statement against our payments, keyed by the
    statement's content hash: the same statement gives the same report."""

    statement_hash = me.StringField(primary_key=True)
    bank = me.StringField(required=True)
    day = me.StringField(required=True)
    report = me.DictField(required=True)
    created_by = me.StringField(required=True)
    created_at = InstantField(required=True)

    meta = {"db_alias": ALIAS, "collection": "reconciliations"}


class AuditEntry(me.Document):
    """One state change of a notice, payment or refund: who, what, when. Append-only:
    an entry is inserted once and never changed or deleted."""

    at = InstantField(required=True)
    actor = me.StringField(required=True)
    action = me.StringField(required=True)
    subject = me.StringField(required=True)  # "notice:JK…", "payment:<txn>", "refund:TF…"
    detail = me.DictField()
    request_id = me.StringField()  # the gateway request it happened in (services.common.tracing)

    meta = {"db_alias": ALIAS, "collection": "audit_log", "indexes": ["subject"]}

    def save(self, *args, **kwargs):
        if not self._created:
            raise PermissionError("the audit log is append-only")
        return super().save(*args, force_insert=True, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")
