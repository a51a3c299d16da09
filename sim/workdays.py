"""The simulator's own working-day count, for its ground truth of deadlines: the Chinese
official calendar (``chinese_calendar``) with the hall's own closures and extra working
days from ``hall/calendar.yaml``. Written from the definition (a limit of n working days
counted from the day after acceptance, running out at the midnight after the n-th), not
taken from the platform, so that the comparison checks the platform's count too."""

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

SHANGHAI = ZoneInfo("Asia/Shanghai")
HALL_CALENDAR = Path(__file__).resolve().parents[1] / "hall" / "calendar.yaml"


def provisional_workday(day: date) -> bool:
    """A day of a year whose official schedule ``chinese_calendar`` does not have yet: as the
    platform counts it (statutory holidays off, make-up days unknown), but only up to the
    first holiday after New Year's Day, the Spring Festival — never before 21 January — which
    this module does not compute: beyond that the simulation refuses to run."""
    if day.month > 1 or day.day > 20:
        raise NotImplementedError(f"{day}: the official calendar of {day.year} is not known")
    return day.weekday() < 5 and day != date(day.year, 1, 1)


class Calendar:
    def __init__(self, closures=(), extra_workdays=()):
        self.closures = frozenset(closures)
        self.extra = frozenset(extra_workdays)

    @classmethod
    def of_hall(cls, path=HALL_CALENDAR):
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return cls(raw.get("closures") or (), raw.get("extra_workdays") or ())

    def is_workday(self, day: date) -> bool:
        if day in self.closures:
            return False
        if day in self.extra:
            return True
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return provisional_workday(day)

    def next_workday(self, day: date) -> date:
        """The first working day after ``day``."""
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_workdays(self, day: date, n: int) -> date:
        for _ in range(n):
            day = self.next_workday(day)
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count = 0
        while start < end:
            start += timedelta(days=1)
            count += self.is_workday(start)
        return count

    def deadline(self, accepted: datetime, limit_days: int) -> datetime | None:
        """The exclusive deadline of a case accepted at ``accepted`` with a limit of ``limit_days``;
        None when it falls in a year ``chinese_calendar`` does not know yet (then it is later
        than any moment of the known years, where the simulation decides its cases)."""
        try:
            due = self.add_workdays(accepted.astimezone(SHANGHAI).date(), limit_days)
        except NotImplementedError:  # past the provisional weeks: later than the simulation's decisions
            return None
        return datetime.combine(due + timedelta(days=1), time(), tzinfo=SHANGHAI)
