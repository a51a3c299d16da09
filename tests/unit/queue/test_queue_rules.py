"""The queue's rules that need no store: hall days, slots, settings (the tickets' own: test_ticket_rules)."""

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from services.common.errors import InvalidInput
from services.common.sequences import hall_day
from services.queue.setup import (
    check_category,
    check_settings,
    read_setup_file,
    slot_starts,
)
from services.queue.ticket_rules import call_seq, first_call_of_day, iso_day
from services.queue.tickets import stored_day
from tests.unit.paths import REPO_ROOT

SETTINGS = SimpleNamespace(
    priority_order=["appointment", "care", "vip", "normal"],
    vip_ids=["VIP1"],
    hours=[["09:00", "12:00"], ["13:30", "17:00"]],
    slot_minutes=30,
)


def test_ticket_days_are_the_halls_days():
    assert hall_day(datetime(2026, 11, 26, 16, 30, tzinfo=timezone.utc)) == "20261127"  # 00:30 in Shanghai


def test_slots_fill_the_working_hours():
    starts = [s.strftime("%H:%M") for s in slot_starts(SETTINGS, date(2026, 11, 27))]
    assert starts[:2] == ["09:00", "09:30"] and starts[5] == "11:30" and starts[6] == "13:30"
    assert starts[-1] == "16:30" and len(starts) == 13
    assert slot_starts(SETTINGS, date(2026, 11, 27))[0].utcoffset().total_seconds() == 8 * 3600


def test_bad_settings_are_refused_field_by_field():
    with pytest.raises(InvalidInput) as refused:
        check_settings({"priority_order": ["normal", "vip"], "hours": [["12:00", "09:00"]], "closures": ["2026-02-30"]})
    assert [e["field"] for e in refused.value.errors] == ["priority_order", "hours", "closures"]
    with pytest.raises(InvalidInput, match="unknown settings: colour"):
        check_settings({"colour": "red"})
    with pytest.raises(InvalidInput) as both:
        check_settings({"closures": ["2026-12-01"], "extra_workdays": ["2026-12-01"]})
    assert both.value.errors == [{"field": "closures", "message": "also extra working days: 2026-12-01"}]


def test_a_category_code_is_one_capital_letter():
    with pytest.raises(InvalidInput):
        check_category("AB", {"name_zh": "x", "name_en": "x"})


def test_the_repository_setup_file_is_valid():
    setup = read_setup_file(REPO_ROOT / "hall" / "queue.yaml")
    check_settings(setup["settings"])
    codes = {check_category(c["code"], c)["code"] for c in setup["categories"]}
    assert all(set(w["categories"]) <= codes for w in setup["windows"])


def test_a_hall_day_starts_at_midnight_in_shanghai_and_shows_as_an_iso_date():
    midnight = datetime(2026, 12, 2, 16, 0, tzinfo=timezone.utc)  # 00:00 on 3 December in the hall
    assert hall_day(midnight) == "20261203" and iso_day(hall_day(midnight)) == "2026-12-03"
    assert first_call_of_day(midnight + timedelta(hours=23)) == call_seq(midnight, 0)
    assert call_seq(midnight - timedelta(milliseconds=1), 53) < first_call_of_day(midnight) <= call_seq(midnight, 1)
    assert stored_day("2026-12-03") == "20261203"
    assert iso_day(stored_day("0048-08-13")) == "0048-08-13"  # a year before 1000 keeps its four digits
    for wrong in ("20261203", "2026-13-01", "3.12.2026"):
        with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
            stored_day(wrong)
