"""The hall's working-day calendar (工作日).

Legal and promised limits count working days on China's official calendar: statutory
holidays are off and make-up working days (调休, e.g. a Sunday that is worked) are on.
The official calendar comes from `chinese_calendar`, which only knows the years whose
schedule the State Council has published; the hall adds later years to its calendar file
(``published_years``) when they are published, usually in November for the next year.

Past the published years the calendar is *provisional*: Monday to Friday are worked except
the statutory holidays the law fixes (全国年节及纪念日放假办法, as revised in 2024: 13 days,
three of them on lunar dates and one on the Qingming solar term, computed with
`lunar_python`) and the weekday owed for each one that falls on a weekend or on another
holiday (补假, its article 6). The State Council's swaps of working days (调休) cannot be
known in advance, so a provisional count may be off by the days swapped around a holiday; a
legal limit
running into next year must still have a deadline (a 60-working-day item accepted in
October does), and supervision recomputes every standing from the facts at its next check
or change, so a year published later takes effect then. Before 2004 and after 2099 we
raise rather than guess. Days are Asia/Shanghai days, whatever zone an instant arrives in.
"""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml
from lunar_python import Lunar

SHANGHAI = ZoneInfo("Asia/Shanghai")

# chinese_calendar answers for whole years, from its first listed holiday's to its last's
# (1.11.0: 2004 to 2026), the same bounds its own check applies.
COVERED_FIRST = date(min(chinese_calendar.holidays).year, 1, 1)
COVERED_LAST = date(max(chinese_calendar.holidays).year, 12, 31)
# The provisional calendar's horizon: no limit runs that far, and the lunar tables do.
PROVISIONAL_LAST = date(2099, 12, 31)


class CalendarRangeError(ValueError):
    """A day outside the years the calendar can answer for."""

    def __init__(self, day: date):
        self.day = day
        super().__init__(
            f"no holiday schedule for {day.isoformat()}: the calendar covers "
            f"{COVERED_FIRST.isoformat()} to {PROVISIONAL_LAST.isoformat()}"
        )


@cache
def statutory_holidays(year: int) -> tuple[date, ...]:
    """The 13 public holidays the law fixes for a year (a day listed twice when two fall
    together): New Year's Day; the Spring Festival (lunar New Year's Eve and the first three
    days); Qingming; Labour Day (1-2 May); the Dragon Boat and Mid-Autumn festivals; National
    Day (1-3 October)."""
    new_year = _solar(Lunar.fromYmd(year, 1, 1).getSolar())
    qingming = _solar(Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"])
    return tuple(
        sorted(
            [
                date(year, 1, 1),
                *(new_year + timedelta(days=n) for n in range(-1, 3)),
                qingming,
                date(year, 5, 1),
                date(year, 5, 2),
                _solar(Lunar.fromYmd(year, 5, 5).getSolar()),
                _solar(Lunar.fromYmd(year, 8, 15).getSolar()),
                date(year, 10, 1),
                date(year, 10, 2),
                date(year, 10, 3),
            ]
        )
    )


@cache
def provisional_days_off(year: int) -> frozenset[date]:
    """The weekdays off a year is owed by law before its schedule is published: each statutory
    holiday, and for each one that falls on a weekend or on another holiday, a weekday off
    (补假) right after its run of holidays (the law's article 6)."""
    holidays = statutory_holidays(year)
    off = set(holidays)
    for run in _runs(sorted(off)):
        owed = sum(day in run for day in holidays) - sum(day.weekday() < 5 for day in run)
        day = run[-1]
        while owed > 0:
            day += timedelta(days=1)
            if day.weekday() < 5 and day not in off:
                off.add(day)
                owed -= 1
    return frozenset(off)


def _runs(days):
    """Consecutive days grouped, counting a weekend between two of them as joining them."""
    runs = []
    for day in days:
        if runs and all((runs[-1][-1] + timedelta(days=n)).weekday() >= 5 for n in range(1, (day - runs[-1][-1]).days)):
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def _solar(solar) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def shanghai_day(moment: date | datetime) -> date:
    """The Shanghai calendar day of `moment`; an instant must be timezone-aware."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"naive datetime {moment.isoformat()}: give a timezone-aware instant")
        return moment.astimezone(SHANGHAI).date()
    if isinstance(moment, date):
        return moment
    raise TypeError(f"expected a date or an aware datetime, got {type(moment).__name__}")


class WorkdayCalendar:
    """The official calendar adjusted by the hall's own closures and extra working days.

    A closure (e.g. the hall closed for an emergency) and an extra working day (e.g. a
    weekend service day) override the official calendar; a date cannot be both.

    ``published_years`` extends the calendar past `chinese_calendar`'s last year once the
    State Council has published a year's schedule: ``{year: {"holidays": [...],
    "workdays": [...]}}`` (the make-up working days); other days of such a year follow
    the week (Monday to Friday worked). Only the years right after the known ones count.
    Later years are provisional (see the module's docstring): ``is_provisional`` says so.
    """

    def __init__(
        self, closures: Iterable[date] = (), extra_workdays: Iterable[date] = (), published_years: dict | None = None
    ):
        self.closures = frozenset(map(_plain_date, closures))
        self.extra_workdays = frozenset(map(_plain_date, extra_workdays))
        both = self.closures & self.extra_workdays
        if both:
            listed = ", ".join(sorted(day.isoformat() for day in both))
            raise ValueError(f"dates both closed and extra working days: {listed}")
        self.published = {}
        for year in sorted(published_years or {}):
            if year != max([COVERED_LAST.year, *self.published]) + 1:
                raise ValueError(f"a published year must follow the known years: {year}")
            schedule = published_years[year]
            self.published[year] = (
                frozenset(map(_plain_date, schedule.get("holidays") or ())),
                frozenset(map(_plain_date, schedule.get("workdays") or ())),
            )
        self.covered_last = date(max([COVERED_LAST.year, *self.published]), 12, 31)

    def is_provisional(self, day: date | datetime) -> bool:
        """Whether ``day`` lies past the published years (counted on statutory holidays only)."""
        return shanghai_day(day) > self.covered_last

    def is_workday(self, day: date | datetime) -> bool:
        day = shanghai_day(day)
        if not COVERED_FIRST <= day <= PROVISIONAL_LAST:
            raise CalendarRangeError(day)
        if day in self.closures:
            return False
        if day in self.extra_workdays:
            return True
        if day.year in self.published:
            holidays, workdays = self.published[day.year]
            return day in workdays or (day.weekday() < 5 and day not in holidays)
        if day > self.covered_last:
            return day.weekday() < 5 and day not in provisional_days_off(day.year)
        return _officially_worked(day)

    def next_workday(self, day: date | datetime) -> date:
        """The first working day strictly after `day`."""
        day = shanghai_day(day) + timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_workdays(self, start: date | datetime, n: int) -> date:
        """The day on which a limit of `n` working days from `start` runs out.

        The hall's rule: the day of acceptance does not count, whether or not it is a
        working day; the limit runs out at the end of the n-th working day after it.
        With n == 0 that is the day of acceptance itself (decided on the spot).
        """
        if n < 0:
            raise ValueError(f"a limit of working days cannot be negative: {n}")
        day = shanghai_day(start)
        for _ in range(n):
            day = self.next_workday(day)
        return day

    def workdays_between(self, start: date | datetime, end: date | datetime) -> int:
        """Working days after `start`'s day up to and including `end`'s day; 0 if none.

        The inverse of `add_workdays`: workdays_between(d, add_workdays(d, n)) == n.
        """
        day, last = shanghai_day(start), shanghai_day(end)
        count = 0
        while day < last:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count

    def deadline_instant(self, start: date | datetime, n: int) -> datetime:
        """The instant a limit of `n` working days runs out, in UTC for storage.

        It is midnight (Shanghai) at the start of the day after `add_workdays(start, n)`,
        an exclusive bound: a case is on time when decided strictly before it.
        """
        due = self.add_workdays(start, n)
        midnight = datetime.combine(due + timedelta(days=1), time(), tzinfo=SHANGHAI)
        return midnight.astimezone(timezone.utc)


# chinese_calendar rescans its whole table on every call (~17 µs); the covered years hold
# fewer than 10,000 days, so remembering each answer is cheap and makes counting fast.
@cache
def _officially_worked(day: date) -> bool:
    return chinese_calendar.is_workday(day)


def _plain_date(day: date) -> date:
    # A datetime never equals a date, so one among the closures would silently never match.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"closures and extra working days are dates, got {day!r}")
    return day


def load_hall_calendar(path: str | Path) -> WorkdayCalendar:
    """The hall's calendar from its file in the repository (``HALL_CALENDAR_FILE``):
    ``closures``, ``extra_workdays`` and ``published_years``, days as ISO dates."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    unknown = set(data) - {"closures", "extra_workdays", "published_years"}
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
    published = {int(year): schedule or {} for year, schedule in (data.get("published_years") or {}).items()}
    return WorkdayCalendar(data.get("closures") or (), data.get("extra_workdays") or (), published)


_official = WorkdayCalendar()
is_workday = _official.is_workday
next_workday = _official.next_workday
add_workdays = _official.add_workdays
workdays_between = _official.workdays_between
deadline_instant = _official.deadline_instant
