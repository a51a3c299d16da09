"""Numbers the payment service issues: ``<prefix><YYYYMMDD><6-digit daily sequence>`` on
the hall's calendar day (Asia/Shanghai), from an atomic counter per prefix and day.

JK = payment notice (缴款通知书), PJ = electronic receipt (电子票据), TF = refund (退费).
"""

from services.common.sequences import hall_day, next_in_sequence
from services.payment import models

NOTICE, RECEIPT, REFUND = "JK", "PJ", "TF"


def next_number(prefix, now):
    key = f"{prefix}{hall_day(now)}"
    return f"{key}{next_in_sequence(models.DailySequence, key):06d}"
