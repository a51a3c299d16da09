"""Numbers the payment service issues: ``<prefix><YYYYMMDD><6-digit daily sequence>`` on
the hall's calendar day (Asia/Shanghai), from an atomic counter per prefix and day.

JK = payment notice (缴款通知书), PJ = electronic receipt (电子票据), TF = refund (退费).
"""
import mongoengine as me

from services.common.workdays import shanghai_day
from services.payment import models

NOTICE, RECEIPT, REFUND = "JK", "PJ", "TF"


def hall_day(now):
    """The hall's calendar day of ``now`` as ``YYYY-MM-DD``."""
    return shanghai_day(now).isoformat()


def next_number(prefix, now):
    day = shanghai_day(now).strftime("%Y%m%d")
    key = f"{prefix}{day}"
    try:  # create the counter first: NX-27017 0.8.1 drops the $inc of an upsert that inserts
        models.DailySequence(key=key, last=0).save(force_insert=True)
    except me.NotUniqueError:
        pass
    counter = models.DailySequence.objects(key=key).modify(new=True, inc__last=1)
    return f"{prefix}{day}{counter.last:06d}"
