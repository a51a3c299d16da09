"""Payment notices (缴款通知书): issued when a case reaches its payment step, cancelled
when the case is refused or withdrawn, and shown to staff and to the applicant.

One notice per case (unique case number), so a repeated ``payment_required`` event finds
the notice it issued before instead of issuing a second one.
"""

import mongoengine as me

from services.common.errors import NotFound
from services.common.staff_roles import may_see
from services.common.time import isoformat
from services.common.workdays import add_workdays
from services.payment import audit, fees, models
from services.payment.numbering import NOTICE, next_number

# How the payment service asks intake for a case's payer: a hall-wide system viewer.
SYSTEM_VIEWER = {"username": "payment", "roles": ["system"], "department": "hall"}
ENDED_OUTCOMES = frozenset({"refused", "withdrawn"})


def payer_of(case):
    applicant = case.get("applicant") or {}
    payer = {"kind": applicant.get("kind"), "name": applicant.get("name")}
    for field in ("id_number", "credit_code"):
        if applicant.get(field):
            payer[field] = applicant[field]
    return payer


def find_for_case(case_no):
    return models.PaymentNotice.objects(case_no=case_no).first()


def issue(required, item, case, now, policy):
    """The notice for ``required`` (a ``payment_required`` payload); ``(notice, created)``.

    ``item`` is intake's catalog item, ``case`` intake's view of the case (the payer).
    A free item gets a ``waived`` notice: nothing to pay, the flow goes on at once.
    """
    existing = find_for_case(required["case_no"])
    if existing is not None:
        return existing, False
    lines, total, assessed_by = fees.assess(required.get("fee_fen"), item)
    notice = models.PaymentNotice(
        notice_no=next_number(NOTICE, now),
        case_no=required["case_no"],
        item_code=item["code"],
        department=required.get("department") or item["department"],
        payer=payer_of(case),
        lines=[models.FeeLine(**line) for line in lines],
        total_fen=total,
        assessed_by=assessed_by,
        status="issued" if total > 0 else "waived",
        due_on=add_workdays(now, policy.due_workdays).isoformat(),
        issued_at=now,
    )
    try:
        notice.save(force_insert=True)
    except me.NotUniqueError:
        return find_for_case(required["case_no"]), False  # a concurrent repeat of the event won
    audit.record(
        audit.SYSTEM,
        "notice_issued" if total else "notice_waived",
        f"notice:{notice.notice_no}",
        now,
        case_no=notice.case_no,
        total_fen=total,
        assessed_by=assessed_by,
    )
    return notice, True


def cancel_for_case(case_no, reason, now):
    """Cancel the case's unpaid notice; the cancelled notice, or None if there was none to cancel."""
    cancelled = models.PaymentNotice.objects(case_no=case_no, status="issued").modify(
        new=True, set__status="cancelled", set__cancelled_at=now, set__cancel_reason=reason
    )
    if cancelled is not None:
        audit.record(
            audit.SYSTEM, "notice_cancelled", f"notice:{cancelled.notice_no}", now, case_no=case_no, reason=reason
        )
    return cancelled


def staff_may_see(viewer, notice):
    return may_see(viewer, notice.department)


def get_for_staff(case_no, viewer):
    notice = find_for_case(case_no)
    if notice is None or not staff_may_see(viewer, notice):
        raise NotFound(f"case {case_no} has no payment notice")
    return notice


def get(notice_no):
    notice = models.PaymentNotice.objects(notice_no=notice_no).first()
    if notice is None:
        raise NotFound(f"payment notice {notice_no} does not exist")
    return notice


def public_view(notice):
    """What the applicant sees with the query code: the notice, without personal identifiers."""
    return {
        "notice_no": notice.notice_no,
        "case_no": notice.case_no,
        "item_code": notice.item_code,
        "department": notice.department,
        "status": notice.status,
        "required": notice.status != "waived",
        "lines": [dict(line.to_mongo()) for line in notice.lines],
        "total_fen": notice.total_fen,
        "currency": notice.currency,
        "due_on": notice.due_on,
        "issued_at": isoformat(notice.issued_at),
        "receipt_no": notice.receipt_no,
        "paid_at": isoformat(notice.paid_at),
        "cancelled_at": isoformat(notice.cancelled_at),
        "cancel_reason": notice.cancel_reason,
        "pay_at": "政务服务中心银行收费窗口 The bank window of the hall",
    }


def staff_view(notice):
    return dict(public_view(notice), payer=notice.payer, assessed_by=notice.assessed_by, bank_txn_id=notice.bank_txn_id)
