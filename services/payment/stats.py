"""Money taken and refunded per hall day, department and fee item: stored daily totals
(atomic ``$inc`` by key) and Prometheus counters. Amounts are counted in fen as
integers; Prometheus keeps counters as doubles, which hold every integer exactly up to
2^53 fen (about 90 billion yuan)."""

from prometheus_client import Counter

from services.common.db import collection_of
from services.common.workdays import shanghai_day
from services.payment import models

AMOUNT_FEN = Counter(
    "hall_payment_amount_fen_total",
    "Money in fen, paid to or refunded by the bank window.",
    ["department", "item_code", "direction"],
)
CONFIRMATIONS = Counter("hall_payment_confirmations_total", "Bank confirmations of payments by outcome.", ["outcome"])
REFUNDS = Counter("hall_payment_refunds_total", "Refund steps by outcome.", ["outcome"])


def count_confirmation(outcome):
    CONFIRMATIONS.labels(outcome).inc()


def count_refund(outcome):
    REFUNDS.labels(outcome).inc()


def add_paid(payment, now):
    _add(payment.department, payment.item_code, now, paid_fen=payment.amount_fen, paid_count=1)
    AMOUNT_FEN.labels(payment.department, payment.item_code, "paid").inc(payment.amount_fen)


def add_refunded(refund, now):
    _add(refund.department, refund.item_code, now, refunded_fen=refund.amount_fen, refund_count=1)
    AMOUNT_FEN.labels(refund.department, refund.item_code, "refunded").inc(refund.amount_fen)


def _add(department, item_code, now, **amounts):
    day = shanghai_day(now).isoformat()
    key = f"{department}|{item_code}|{day}"  # not led by the date: see models.txn_key
    collection_of(models.DailyTotal).update_one(
        {"_id": key},
        {"$setOnInsert": {"day": day, "department": department, "item_code": item_code}, "$inc": amounts},
        upsert=True,
    )


def daily(day, department=None):
    """The totals of one hall day (``YYYY-MM-DD``), optionally of one department."""
    query = {"day": day} if department is None else {"day": day, "department": department}
    rows = [
        {
            "day": t.day,
            "department": t.department,
            "item_code": t.item_code,
            "paid_fen": t.paid_fen,
            "paid_count": t.paid_count,
            "refunded_fen": t.refunded_fen,
            "refund_count": t.refund_count,
        }
        for t in models.DailyTotal.objects(**query)
    ]
    rows.sort(key=lambda r: (r["department"], r["item_code"]))
    return {
        "day": day,
        "department": department,
        "items": rows,
        "paid_fen": sum(r["paid_fen"] for r in rows),
        "refunded_fen": sum(r["refunded_fen"] for r in rows),
    }
