"""The hall's own calendar file: closures, extra working days, and official schedules
published after the chinese-calendar release in use."""

from datetime import date

import pytest

from services.common.workdays import WorkdayCalendar, load_hall_calendar
from tests.unit.paths import REPO_ROOT


def write(tmp_path, text):
    path = tmp_path / "hall.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_repository_calendar_loads():
    calendar = load_hall_calendar(REPO_ROOT / "hall" / "calendar.yaml")
    assert calendar.is_workday(date(2026, 11, 26)) is True


def test_closures_and_extra_working_days_come_from_the_file(tmp_path):
    calendar = load_hall_calendar(write(tmp_path, "closures: [2026-11-26]\nextra_workdays: [2026-11-28]\n"))
    assert calendar.is_workday(date(2026, 11, 26)) is False  # a Thursday, closed
    assert calendar.is_workday(date(2026, 11, 28)) is True  # a Saturday, worked
    assert calendar.add_workdays(date(2026, 11, 25), 2) == date(2026, 11, 28)


def test_a_published_year_extends_the_calendar(tmp_path):
    calendar = load_hall_calendar(
        write(
            tmp_path,
            """
published_years:
  2027:
    holidays: [2027-01-01]
    workdays: [2027-01-03]
""",
        )
    )
    assert calendar.is_workday(date(2027, 1, 1)) is False  # a Friday, New Year's Day
    assert calendar.is_workday(date(2027, 1, 3)) is True  # a make-up Sunday
    assert calendar.is_workday(date(2027, 1, 4)) is True  # an ordinary Monday
    assert calendar.is_workday(date(2027, 1, 9)) is False  # an ordinary Saturday
    assert calendar.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 3)
    assert not calendar.is_provisional(date(2027, 12, 31))
    assert calendar.is_provisional(date(2028, 1, 4)) and calendar.is_workday(date(2028, 1, 4))


def test_a_published_year_must_follow_the_known_years():
    with pytest.raises(ValueError, match="2028"):
        WorkdayCalendar(published_years={2028: {}})


def test_an_unknown_key_is_refused(tmp_path):
    with pytest.raises(ValueError, match="holidays"):
        load_hall_calendar(write(tmp_path, "holidays: [2026-11-26]\n"))
