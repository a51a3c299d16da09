from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from services.common.workdays import (
    COVERED_FIRST,
    COVERED_LAST,
    PROVISIONAL_LAST,
    SHANGHAI,
    CalendarRangeError,
    WorkdayCalendar,
    add_workdays,
    deadline_instant,
    is_workday,
    next_workday,
    provisional_days_off,
    shanghai_day,
    statutory_holidays,
    workdays_between,
)


def days(first, last):
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --- the official calendar on real dates ------------------------------------------------


def test_spring_festival_2024_is_off_from_feb_10_to_17():
    assert not any(is_workday(day) for day in days(date(2024, 2, 10), date(2024, 2, 17)))


def test_spring_festival_2024_make_up_sundays_feb_4_and_18_are_worked():
    assert date(2024, 2, 4).weekday() == 6 and is_workday(date(2024, 2, 4))
    assert date(2024, 2, 18).weekday() == 6 and is_workday(date(2024, 2, 18))
    assert not is_workday(date(2024, 2, 3))  # the Saturday before stays off


def test_a_case_accepted_on_new_years_eve_2024_is_due_on_the_make_up_sunday():
    # 9 Feb 2024 (除夕) was a working day; the next one was Sunday 18 Feb.
    assert is_workday(date(2024, 2, 9))
    assert next_workday(date(2024, 2, 9)) == date(2024, 2, 18)
    assert add_workdays(date(2024, 2, 9), 1) == date(2024, 2, 18)
    assert add_workdays(date(2024, 2, 9), 2) == date(2024, 2, 19)
    assert add_workdays(date(2024, 2, 2), 1) == date(2024, 2, 4)


def test_national_day_2024_is_off_from_oct_1_to_7_with_sep_29_and_oct_12_worked():
    assert not any(is_workday(day) for day in days(date(2024, 10, 1), date(2024, 10, 7)))
    assert is_workday(date(2024, 9, 29))  # Sunday
    assert is_workday(date(2024, 10, 12))  # Saturday
    assert not is_workday(date(2024, 9, 28))
    assert add_workdays(date(2024, 9, 27), 1) == date(2024, 9, 29)
    assert add_workdays(date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert add_workdays(date(2024, 9, 30), 5) == date(2024, 10, 12)


def test_a_promised_limit_of_20_working_days_across_national_day_2024():
    # Sep 23-27 (5), Sun 29 (6), Sep 30 (7), Oct 8-11 (11), Sat 12 (12), Oct 14-18 (17),
    # Oct 21-23 (20).
    assert add_workdays(date(2024, 9, 20), 20) == date(2024, 10, 23)
    assert workdays_between(date(2024, 9, 20), date(2024, 10, 23)) == 20
    assert workdays_between(date(2024, 9, 30), date(2024, 10, 7)) == 0


def test_spring_festival_2025_is_off_from_jan_28_to_feb_4_with_jan_26_and_feb_8_worked():
    # The first year 除夕 was a statutory holiday: eight days off.
    assert not any(is_workday(day) for day in days(date(2025, 1, 28), date(2025, 2, 4)))
    assert date(2025, 1, 26).weekday() == 6 and is_workday(date(2025, 1, 26))
    assert date(2025, 2, 8).weekday() == 5 and is_workday(date(2025, 2, 8))
    assert add_workdays(date(2025, 1, 27), 1) == date(2025, 2, 5)
    assert add_workdays(date(2025, 2, 7), 1) == date(2025, 2, 8)
    # Sun Jan 26, Mon Jan 27, Feb 5-7, Sat Feb 8, Mon Feb 10.
    assert workdays_between(date(2025, 1, 24), date(2025, 2, 10)) == 1 + 1 + 3 + 1 + 1


def test_ordinary_weekends_are_off_and_weekdays_on():
    assert [is_workday(day) for day in days(date(2024, 3, 11), date(2024, 3, 17))] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
    ]


# --- the hall's own closures and extra working days -------------------------------------


def test_a_closure_pushes_the_deadline_past_it():
    hall = WorkdayCalendar(closures=[date(2024, 3, 12)])
    assert not hall.is_workday(date(2024, 3, 12))
    assert hall.add_workdays(date(2024, 3, 11), 1) == date(2024, 3, 13)
    assert hall.add_workdays(date(2024, 3, 8), 5) == date(2024, 3, 18)
    assert hall.workdays_between(date(2024, 3, 8), date(2024, 3, 18)) == 5
    assert add_workdays(date(2024, 3, 8), 5) == date(2024, 3, 15)  # official calendar untouched


def test_a_closure_overrides_a_make_up_working_day():
    hall = WorkdayCalendar(closures=[date(2024, 2, 18)])
    assert hall.next_workday(date(2024, 2, 9)) == date(2024, 2, 19)


def test_an_extra_working_day_counts():
    hall = WorkdayCalendar(extra_workdays=[date(2024, 3, 16)])  # a Saturday service day
    assert hall.is_workday(date(2024, 3, 16))
    assert hall.add_workdays(date(2024, 3, 15), 1) == date(2024, 3, 16)
    assert hall.workdays_between(date(2024, 3, 15), date(2024, 3, 18)) == 2


def test_a_date_cannot_be_both_closed_and_an_extra_working_day():
    with pytest.raises(ValueError, match="2024-03-16"):
        WorkdayCalendar(closures=[date(2024, 3, 16)], extra_workdays=[date(2024, 3, 16)])


def test_closures_must_be_dates_not_instants():
    with pytest.raises(TypeError):
        WorkdayCalendar(closures=[datetime(2024, 3, 12, tzinfo=SHANGHAI)])


# --- the covered range ------------------------------------------------------------------


def test_the_official_calendar_covers_2004_to_2026():
    assert (COVERED_FIRST, COVERED_LAST) == (date(2004, 1, 1), date(2026, 12, 31))
    assert is_workday(COVERED_FIRST) is False  # New Year's Day
    assert is_workday(COVERED_LAST) is True  # a Thursday


@pytest.mark.parametrize("day", [date(2003, 12, 31), date(2100, 1, 4)])
def test_a_day_outside_the_calendar_is_refused_not_guessed(day):
    with pytest.raises(CalendarRangeError) as raised:
        is_workday(day)
    assert raised.value.day == day
    assert isinstance(raised.value, ValueError)
    assert str(raised.value) == (
        f"no holiday schedule for {day.isoformat()}: the calendar covers 2004-01-01 to 2099-12-31"
    )


# --- past the published years: the statutory holidays ------------------------------------


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_days_off_the_law_owes_are_official_holidays_in_the_years_under_the_2024_rules(year):
    """The rule the provisional years follow, checked against the State Council's own
    schedules of the years it already governs: every statutory day, and every weekday owed
    for one on a weekend, is a day off."""
    assert len(statutory_holidays(year)) == 13
    assert [day for day in sorted(provisional_days_off(year)) if chinese_calendar.is_workday(day)] == []


def test_a_year_not_yet_published_is_counted_on_its_statutory_holidays_and_the_days_owed_for_them():
    assert set(statutory_holidays(2027)) == {
        date(2027, 1, 1),  # New Year's Day
        date(2027, 2, 5),
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),  # lunar New Year's Eve to the 3rd
        date(2027, 4, 5),  # Qingming
        date(2027, 5, 1),
        date(2027, 5, 2),
        date(2027, 6, 9),  # Dragon Boat, 5th day of the 5th month
        date(2027, 9, 15),  # Mid-Autumn, 15th day of the 8th month
        date(2027, 10, 1),
        date(2027, 10, 2),
        date(2027, 10, 3),
    }
    # Feb 6-7, May 1-2 and Oct 2-3 fall on weekends: a weekday off each, after the holidays.
    assert provisional_days_off(2027) - set(statutory_holidays(2027)) == {
        date(2027, 2, 9),
        date(2027, 2, 10),
        date(2027, 5, 3),
        date(2027, 5, 4),
        date(2027, 10, 4),
        date(2027, 10, 5),
    }
    assert is_workday(date(2027, 2, 10)) is False  # owed for the Spring Festival's Sunday
    assert is_workday(date(2027, 2, 11)) is True
    assert is_workday(date(2027, 2, 13)) is False  # a Saturday
    assert (is_workday(PROVISIONAL_LAST), is_workday(date(2099, 1, 1))) == (True, False)


def test_two_holidays_on_one_day_owe_a_day_as_well():
    assert statutory_holidays(2028).count(date(2028, 10, 3)) == 2  # Mid-Autumn on National Day
    # National Day Sunday to Tuesday with Mid-Autumn on its Tuesday: two weekdays owed.
    assert sorted(provisional_days_off(2028) - set(statutory_holidays(2028)))[-2:] == [
        date(2028, 10, 4),
        date(2028, 10, 5),
    ]


def test_counting_runs_on_into_the_provisional_years_and_says_so():
    calendar = WorkdayCalendar()
    assert add_workdays(date(2026, 12, 30), 5) == date(2027, 1, 7)  # Dec 31, then Jan 4 to 7
    assert workdays_between(date(2026, 12, 31), date(2027, 1, 11)) == 6
    assert (calendar.is_provisional(COVERED_LAST), calendar.is_provisional(date(2027, 1, 1))) == (False, True)
    assert calendar.is_provisional(datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc))  # 00:30 in Shanghai


def test_the_halls_own_days_apply_in_the_provisional_years():
    calendar = WorkdayCalendar(closures=[date(2027, 1, 4)], extra_workdays=[date(2027, 1, 2)])
    assert calendar.is_workday(date(2027, 1, 2)) is True  # a Saturday the hall works
    assert calendar.is_workday(date(2027, 1, 4)) is False  # a Monday the hall is closed


# --- instants, time zones and the deadline ----------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda moment: is_workday(moment),
        lambda moment: next_workday(moment),
        lambda moment: add_workdays(moment, 1),
        lambda moment: workdays_between(moment, date(2024, 3, 20)),
        lambda moment: workdays_between(date(2024, 3, 1), moment),
        lambda moment: deadline_instant(moment, 1),
    ],
)
def test_a_naive_datetime_is_rejected(call):
    with pytest.raises(ValueError, match="naive datetime 2024-03-12T10:00:00"):
        call(datetime(2024, 3, 12, 10, 0))


def test_an_instant_counts_on_its_shanghai_day():
    # 17:30 UTC on 9 Feb 2024 is already 01:30 on the 10th, a holiday, in Shanghai.
    assert shanghai_day(datetime(2024, 2, 9, 17, 30, tzinfo=timezone.utc)) == date(2024, 2, 10)
    assert not is_workday(datetime(2024, 2, 9, 17, 30, tzinfo=timezone.utc))
    assert is_workday(datetime(2024, 2, 9, 15, 59, tzinfo=timezone.utc))
    new_york = datetime(2024, 2, 8, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    assert shanghai_day(new_york) == date(2024, 2, 9)
    assert add_workdays(new_york, 1) == date(2024, 2, 18)


def test_shanghai_day_refuses_what_is_not_a_day():
    with pytest.raises(TypeError):
        shanghai_day("2024-02-09")


def test_the_deadline_is_shanghai_midnight_after_the_due_day_in_utc():
    accepted = datetime(2024, 2, 9, 10, 0, tzinfo=SHANGHAI)
    deadline = deadline_instant(accepted, 1)
    assert deadline == datetime(2024, 2, 18, 16, 0, tzinfo=timezone.utc)
    assert deadline.utcoffset() == timedelta(0)
    assert shanghai_day(deadline - timedelta(microseconds=1)) == date(2024, 2, 18)
    assert deadline_instant(date(2024, 9, 20), 20) == datetime(2024, 10, 23, 16, 0, tzinfo=timezone.utc)


def test_a_limit_of_zero_days_ends_with_the_day_of_acceptance():
    assert add_workdays(date(2024, 2, 10), 0) == date(2024, 2, 10)
    assert deadline_instant(datetime(2024, 3, 12, 9, 0, tzinfo=SHANGHAI), 0) == datetime(
        2024, 3, 12, 16, 0, tzinfo=timezone.utc
    )


def test_a_negative_limit_is_refused():
    with pytest.raises(ValueError, match="negative"):
        add_workdays(date(2024, 3, 12), -1)


def test_the_day_of_acceptance_never_counts_even_when_it_is_a_working_day():
    assert workdays_between(date(2024, 3, 12), date(2024, 3, 12)) == 0
    assert workdays_between(date(2024, 3, 12), date(2024, 3, 13)) == 1
    assert workdays_between(date(2024, 3, 13), date(2024, 3, 12)) == 0
    morning = datetime(2024, 3, 12, 9, 0, tzinfo=SHANGHAI)
    assert workdays_between(morning, morning + timedelta(hours=8)) == 0


# --- the round trip -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "calendar",
    [
        WorkdayCalendar(),
        WorkdayCalendar(closures=[date(2024, 7, 1), date(2025, 2, 8)], extra_workdays=[date(2024, 10, 5)]),
    ],
    ids=["official", "with closures"],
)
def test_workdays_between_undoes_add_workdays_for_every_day_of_2024_and_2025(calendar):
    for start in days(date(2024, 1, 1), date(2025, 12, 31)):
        for n in (0, 1, 2, 3, 5, 10, 15, 20):
            due = calendar.add_workdays(start, n)
            assert calendar.workdays_between(start, due) == n, (start, n)
            if n:
                assert calendar.is_workday(due), (start, n)
                assert calendar.workdays_between(start, due - timedelta(days=1)) == n - 1
