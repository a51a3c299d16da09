"""The payment service: unified fee collection at the bank window (统一收费).

Payment notices are issued when a case reaches its payment step, paid only through the
bank (a signed confirmation, or the cashier at the bank window), refunded with four
eyes, reconciled with the bank's statement, and every change is audited.
"""

from nameko.events import EventDispatcher
from nameko.exceptions import RemoteError
from nameko.rpc import RpcProxy

from services.common import platform_service
from services.common.contracts import events
from services.common.db import ServiceStore
from services.common.entrypoints import event_handler, rpc
from services.common.errors import NotFound
from services.common.idempotency import idempotent
from services.common.staff_roles import sees_all
from services.common.time import isoformat, utcnow
from services.payment import (
    audit,
    confirmations,
    notices,
    reconciliation,
    refunds,
    stats,
)
from services.payment.policy import PaymentPolicy


class PaymentService(platform_service.PlatformService):
    name = "payment"

    policy = ServiceStore(PaymentPolicy.from_config)
    intake = RpcProxy("intake")
    dispatch = EventDispatcher()

    @event_handler(events.PAYMENT_REQUIRED)
    def on_payment_required(self, required):
        case = self.intake.get_case(required["case_no"], notices.SYSTEM_VIEWER)
        # the fees of the item's version the case was submitted under, whatever was published since
        item = self.intake.get_item(required["item_code"], case["item_version"])
        notice, _ = notices.issue(required, item, case, utcnow(), self.policy)
        if notice.status == "issued":  # the applicant's case view shows what to pay, on which notice
            self.dispatch(
                *events.PAYMENT_NOTICE_ISSUED.event(
                    case_no=notice.case_no,
                    notice_no=notice.notice_no,
                    total_fen=notice.total_fen,
                    due_on=notice.due_on,
                    issued_at=isoformat(notice.issued_at),
                )
            )
        elif notice.status in ("waived", "paid"):
            # Nothing to pay, or paid already (the flow asks again): the flow goes on.
            self._announce(notice, notice.total_fen if notice.status == "paid" else 0)

    @event_handler(events.CASE_REFUSED)
    def on_case_refused(self, refused):
        notices.cancel_for_case(refused["case_no"], refused.get("reason") or "case refused", utcnow())

    @event_handler(events.CASE_DECIDED)
    def on_case_decided(self, decided):
        if decided.get("outcome") in notices.ENDED_OUTCOMES:
            notices.cancel_for_case(decided["case_no"], f"case {decided['outcome']}", utcnow())

    @rpc
    def get_payment(self, case_no, viewer):
        notice = notices.get_for_staff(case_no, viewer)
        return dict(notices.staff_view(notice), audit=audit.trail(f"notice:{notice.notice_no}"))

    @rpc
    def get_public_payment(self, case_no, query_code):
        try:
            self.intake.get_public_case(case_no, query_code)
        except RemoteError as refused:  # intake answers a wrong query code exactly like an unknown case
            if refused.exc_type == "NotFound":
                raise NotFound(f"no case {case_no} with this query code") from None
            raise
        return notices.public_view(notices.get_for_staff(case_no, notices.SYSTEM_VIEWER))

    @rpc
    @idempotent
    def confirm_payment(self, confirmation, source):
        """``source``: ``{"channel": bank id | "window", "actor": bank id | cashier, "nonce"?}``."""
        payment, created, applied = confirmations.confirm(confirmation, source, utcnow(), self.policy.nonce_ttl_seconds)
        stats.count_confirmation(payment.status if created else "repeated")
        if applied:
            self._announce(notices.get(payment.notice_no), payment.amount_fen)
        return dict(confirmations.view(payment), created=created)

    @rpc
    def payments_needing_the_cashier(self):
        return confirmations.needing_the_cashier()

    @rpc
    @idempotent
    def request_refund(self, bank_txn_id, amount_fen, reason, user):
        return refunds.view(refunds.request(bank_txn_id, amount_fen, reason, user, utcnow()))

    @rpc
    @idempotent
    def decide_refund(self, refund_no, approve, user):
        return refunds.view(refunds.decide(refund_no, approve, user, utcnow()))

    @rpc
    @idempotent
    def confirm_refund(self, confirmation, source):
        refund, created = refunds.confirm(confirmation, source, utcnow(), self.policy.nonce_ttl_seconds)
        return dict(refunds.view(refund), created=created)

    @rpc
    @idempotent
    def reconcile(self, day, statement_csv, bank, user):
        report, created = reconciliation.reconcile(day, statement_csv, bank, user, utcnow())
        return dict(reconciliation.view(report), created=created)

    @rpc
    def get_reconciliation(self, report_id):
        return reconciliation.view(reconciliation.get(report_id))

    @rpc
    def daily_stats(self, day, viewer, department=None):
        if not sees_all(viewer):
            department = viewer.get("department")  # department staff see their own department's money
        return stats.daily(reconciliation.parse_day(day), department)

    @rpc
    def audit_trail(self, subject):
        return audit.trail(subject)

    def _announce(self, notice, amount_fen):
        self.dispatch(
            *events.PAYMENT_CONFIRMED.event(
                case_no=notice.case_no,
                notice_no=notice.notice_no,
                amount_fen=amount_fen,
                receipt_no=notice.receipt_no,
                confirmed_at=isoformat(notice.paid_at or notice.issued_at),
            )
        )
