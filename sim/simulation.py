"""One simulated day from set-up to proof: the hall read and staffed, the plan made, the
appointments booked the working day before, the day on the floor, the following working
days in the back office, and the comparison of the ledger with the platform's reports."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time

from sim.arrivals import Profile, generate, hourly_rates, sessions_of
from sim.backoffice import BackOffice
from sim.day import FloorDay
from sim.hall import (
    first_day,
    open_windows,
    read_hall,
    restore_windows,
    staff_the_departments,
)
from sim.ledger import Ledger
from sim.planning import plan
from sim.proof import Proof
from sim.workdays import SHANGHAI, Calendar


@dataclass
class Options:
    seed: int = 1
    profile: Profile = field(default_factory=Profile)
    target_wait_minutes: float = 15.0
    windows: dict | None = None  # category → windows; None: the plan's
    lead_days: int = 7
    workers: int = 6
    settle_seconds: float = 90.0


@dataclass
class Outcome:
    day: object
    plans: list
    figures: list
    ledger: Ledger
    people: list
    http_calls: int
    clock_moves: int
    warnings_seen: dict = field(default_factory=dict)  # level → the simulation's cases seen at it


def staffing_plans(people, profile, sessions, target):
    """Per category: the busiest hour's expected arrivals and the mean service time → windows."""
    if not people:
        return []
    busiest = max(mean / ((b - a).total_seconds() / 3600) for a, b, mean in hourly_rates(sessions, profile.applicants))
    shares = Counter(p.category for p in people)
    plans = []
    for category in sorted(shares):
        mine = [p for p in people if p.category == category]
        service = sum(profile.service_minutes.get(p.item.process_key, 10.0) for p in mine) / len(mine)
        plans.append(plan(category, busiest * len(mine) / len(people), service, target))
    return plans


def simulate(gateway, clock, options, progress, plan_only=False):
    calendar = Calendar.of_hall()
    clock.remember()
    hall = read_hall(gateway)
    day = first_day(gateway, calendar, clock.now().astimezone(SHANGHAI), options.lead_days)
    sessions = sessions_of(hall.hours, day, SHANGHAI)
    people = generate(options.seed, options.profile, list(hall.items.values()), hall.category_of, sessions)
    plans = staffing_plans(people, options.profile, sessions, options.target_wait_minutes)
    windows = options.windows or {p.category: p.windows for p in plans}
    progress(f"simulated day {day}: {len(people)} applicants, windows {dict(sorted(windows.items()))}")
    ledger = Ledger(calendar)
    if plan_only:
        return Outcome(day, plans, [], ledger, people, gateway.calls, clock.moves)
    staff_the_departments(gateway, hall)
    windows_before = open_windows(gateway, hall, windows)
    office = BackOffice(gateway, clock, hall, ledger, calendar, SHANGHAI, progress, options.workers)
    floor = FloorDay(gateway, clock, hall, ledger, people, day, SHANGHAI, office, progress, options.workers)
    try:
        eve = day
        while True:  # the working day before: appointments are booked online
            eve = eve.fromordinal(eve.toordinal() - 1)
            if calendar.is_workday(eve):
                break
        clock.move_to(datetime.combine(eve, time(17, 30), tzinfo=SHANGHAI), settle=True)
        floor.book_appointments()
        clock.move_to(sessions[0][0], settle=True)
        floor.run()
        last = office.run(day)
        last = calendar.next_workday(last)
        office.supervise(last, "16:00")
        proof = Proof(gateway, ledger, day, last, floor.appointment_no_shows)
        found = proof.settled(options.settle_seconds) + office.figures
    finally:
        clock.restore()
        restore_windows(gateway, hall, windows_before)
    return Outcome(day, plans, found, ledger, people, gateway.calls, clock.moves, dict(office.warnings_seen))
