"""The hall's statistics from what the monitor heard: cases per day, the on-time rate,
the satisfaction rate, open warnings — for the hall, by department and by item."""

from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_hook

from services.common.errors import InvalidInput
from services.common.fields import to_millis
from services.common.time import utcnow
from services.common.workdays import SHANGHAI
from services.monitor import models


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def watched(case_no, department, item_code, decided_in_days=None, level=None):
    now = utcnow()
    models.CaseWatch(
        case_no=case_no,
        department=department,
        item_code=item_code,
        submitted_at=now,
        accepted_at=now,
        deadline=now + timedelta(days=1),
        decided_at=now + timedelta(days=decided_in_days) if decided_in_days is not None else None,
        on_time=(decided_in_days < 1) if decided_in_days is not None else None,
        open=decided_in_days is None,
        level=level,
        status="decided" if decided_in_days is not None else "accepted",
    ).save()


def test_rates_and_counts_for_the_hall_and_by_department_and_item(monitor):
    watched("20261126000001", "market_regulation", "MR-001", decided_in_days=0)
    watched("20261126000002", "market_regulation", "MR-002", decided_in_days=0)
    watched("20261126000003", "taxation", "TX-001", decided_in_days=0)
    watched("20261126000004", "taxation", "TX-001", level="red")
    call(monitor, "evaluate_case", "20261126000001", 5)
    call(monitor, "evaluate_case", "20261126000003", 1)

    stats = call(monitor, "statistics")
    hall = stats["hall"]
    assert (hall["submitted"], hall["decided"], hall["decided_on_time"], hall["on_time_rate"]) == (4, 3, 3, 1.0)
    assert (hall["open_red"], hall["evaluations"], hall["satisfaction_rate"]) == (1, 2, 0.5)
    assert stats["by_department"]["taxation"]["satisfaction_rate"] == 0.0
    assert stats["by_item"]["TX-001"]["open_red"] == 1
    today = utcnow().astimezone(SHANGHAI).date().isoformat()
    assert stats["cases_per_day"][-1] == {"day": today, "submitted": 4}
    assert len(stats["cases_per_day"]) == 30

    only_tax = call(monitor, "statistics", department="taxation")
    assert only_tax["hall"]["submitted"] == 2 and set(only_tax["by_department"]) == {"taxation"}


def test_supplement_requests_and_receipts_count_in_the_period_on_the_cases_submitted_in_it(monitor):
    watched("20261126000021", "taxation", "TX-001")
    watched("20261126000022", "market_regulation", "MR-001")
    now = utcnow()
    requested = {str(to_millis(now)): True, str(to_millis(now + timedelta(days=40))): True}  # the 2nd: after it
    models.CaseWatch.objects(case_no="20261126000021").update_one(
        set__supplement_requested=requested, set__supplement_received={str(to_millis(now)): True}
    )
    models.CaseWatch.objects(case_no="20261126000022").update_one(set__supplement_requested={str(to_millis(now)): True})
    stats = call(monitor, "statistics")
    assert (stats["hall"]["supplement_requests"], stats["hall"]["supplements_received"]) == (2, 1)
    assert stats["by_department"]["taxation"]["supplement_requests"] == 1
    assert stats["by_item"]["MR-001"]["supplements_received"] == 0


def test_a_late_decision_lowers_the_on_time_rate(monitor):
    watched("20261126000011", "taxation", "TX-001", decided_in_days=0)
    watched("20261126000012", "taxation", "TX-001", decided_in_days=0)
    assert call(monitor, "statistics")["hall"]["on_time_rate"] == 1.0
    watched("20261126000013", "taxation", "TX-001", decided_in_days=0.5 + 1)
    stats = call(monitor, "statistics", last_day=(utcnow() + timedelta(days=2)).astimezone(SHANGHAI).date().isoformat())
    assert stats["hall"]["on_time_rate"] == round(2 / 3, 4)


def test_a_period_ending_before_it_starts_is_refused(monitor):
    with pytest.raises(InvalidInput):
        call(monitor, "statistics", first_day="2026-11-26", last_day="2026-11-01")
