"""Who comes to the hall on the simulated day, and what each of them will do.

Arrivals are a Poisson process per hour over the opening sessions, with a morning peak
(``HOURLY_WEIGHTS``): the expected number over the day is ``Profile.applicants``. Every
choice an applicant will make later (the item, priority, appointment, leaving before the
call, the clerk's answer, bringing supplements back, the decision, paying, the evaluation,
a complaint) is drawn here, from one seeded generator, so a seed replays the same day."""

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sim.identities import credit_code, resident_id

# Relative arrival intensity by the hour the arrival falls in (the hall's morning peak).
HOURLY_WEIGHTS = {9: 1.6, 10: 1.5, 11: 1.1, 12: 0.6, 13: 0.8, 14: 1.0, 15: 0.9, 16: 0.6}
# Satisfaction profile: level → share (5 very satisfied … 1 very dissatisfied; 1–2 are bad).
SATISFACTION = {5: 0.70, 4: 0.18, 3: 0.07, 2: 0.03, 1: 0.02}
COMPLAINT_CATEGORIES = ("efficiency", "conduct", "fees", "other")


@dataclass(frozen=True)
class Item:
    """What the simulator needs of a catalog item (``GET /api/v1/items/{code}``)."""

    code: str
    department: str
    kind: str
    process_key: str
    limit_days: int
    materials: tuple
    fee_fen: int = 0


@dataclass
class Profile:
    """The day's configurable shape; every share is a probability."""

    applicants: int = 400
    mix: dict = field(default_factory=dict)  # process key → weight; empty: every catalog item alike
    care: float = 0.05  # 爱心号 (elderly, disabled)
    appointment: float = 0.15  # booked online the days before
    appointment_no_show: float = 0.10
    walk_away: float = 0.03  # took a ticket, gone when called (过号)
    refuse: float = 0.03  # the clerk refuses (不予受理)
    supplement: float = 0.10  # the clerk asks for supplements (补正告知)
    supplement_back: float = 0.7  # of those, bring them the next working day
    refuse_decision: float = 0.05
    late: float = 0.05  # promised cases decided after their deadline
    extend: float = 0.5  # of the cases the supervisors see at yellow, those granted an extension
    evaluate: float = 0.8
    satisfaction: dict = field(default_factory=lambda: dict(SATISFACTION))
    complain: float = 0.03
    hotline: float = 0.5  # companies' complaints through the investor hotline
    service_minutes: dict = field(
        default_factory=lambda: {
            "immediate_item": 8.0,
            "promised_item": 12.0,
            "fee_item": 15.0,
            "joint_registration": 20.0,
        }
    )


@dataclass
class Applicant:
    number: int
    arrives: datetime  # at the kiosk (an appointment's check-in time)
    item: Item
    category: str
    applicant: dict
    company: bool
    priority: str = "normal"
    appointment_slot: str | None = None
    no_show_appointment: bool = False
    walks_away: bool = False
    service_minutes: int = 10
    intake: str = "accept"  # accept / refuse / supplement
    supplement_back: bool = False
    decision: str = "approved"
    late: bool = False
    extended_at_yellow: bool = False  # urged at yellow, the department's chief extends the limit
    decide_after_workdays: int = 0
    evaluation: int | None = None
    complaint: str | None = None  # a complaint category, or None


def sessions_of(hours, day, tz):
    """The opening sessions of ``day`` as aware ``(start, end)`` pairs from ``[["09:00", "12:00"], …]``."""
    return [
        (
            datetime.combine(day, time.fromisoformat(a), tzinfo=tz),
            datetime.combine(day, time.fromisoformat(b), tzinfo=tz),
        )
        for a, b in hours
    ]


def hourly_rates(sessions, applicants):
    """``[(start, end, expected arrivals)]`` per hour-slice of the sessions, summing to ``applicants``."""
    slices = []
    for start, end in sessions:
        moment = start
        while moment < end:
            upto = min(end, moment.replace(minute=0) + timedelta(hours=1))
            weight = HOURLY_WEIGHTS.get(moment.hour, 0.5) * (upto - moment).total_seconds() / 3600
            slices.append((moment, upto, weight))
            moment = upto
    total = sum(w for _, _, w in slices) or 1.0
    return [(a, b, applicants * w / total) for a, b, w in slices]


def poisson(rng, mean):
    """Knuth's method for small means, a rounded normal beyond (hour counts here stay < 200)."""
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def arrival_times(rng, sessions, applicants):
    """Whole-minute arrival times: Poisson counts per hour, uniform within the hour."""
    times = []
    for start, end, mean in hourly_rates(sessions, applicants):
        minutes = max(1, int((end - start).total_seconds() // 60))
        times += [start + timedelta(minutes=rng.randrange(minutes)) for _ in range(poisson(rng, mean))]
    return sorted(times)


def weighted(rng, weights):
    keys = list(weights)
    return rng.choices(keys, [weights[k] for k in keys])[0]


def choose_item(rng, items, mix):
    if not mix:
        return rng.choice(items)
    present = {k: w for k, w in mix.items() if any(i.process_key == k for i in items)}
    key = weighted(rng, present)
    return rng.choice([i for i in items if i.process_key == key])


def service_minutes(rng, mean):
    """Exponential service time (the M/M/c assumption of the planning), whole minutes, at least one."""
    return max(1, min(round(rng.expovariate(1 / mean)), round(4 * mean)))


def generate(seed, profile, items, category_of, sessions):
    """The day's applicants, in arrival order (ties by number)."""
    rng = random.Random(seed)
    people = []
    for number, arrives in enumerate(arrival_times(rng, sessions, profile.applicants), start=1):
        item = choose_item(rng, items, profile.mix)
        company = item.kind != "immediate" and rng.random() < 0.4 or item.process_key == "joint_registration"
        applicant = (
            {"kind": "company", "name": f"榆林模拟企业{number:04d}有限公司", "credit_code": credit_code(number)}
            if company
            else {"kind": "person", "name": f"模拟申请人{number:04d}", "id_number": resident_id(number)}
        )
        person = Applicant(number, arrives, item, category_of(item.code), applicant, company)
        person.priority = "care" if not company and rng.random() < profile.care else "normal"
        if rng.random() < profile.appointment:
            slot_start = arrives.replace(minute=0 if arrives.minute < 30 else 30)
            person.appointment_slot = slot_start.strftime("%H:%M")
            person.no_show_appointment = rng.random() < profile.appointment_no_show
            opening = next(a for a, b in sessions if a <= slot_start < b)
            person.arrives = max(opening, slot_start + timedelta(minutes=rng.randint(-5, 10)))  # check-in ±15 min
        person.walks_away = person.appointment_slot is None and rng.random() < profile.walk_away
        person.service_minutes = service_minutes(rng, profile.service_minutes.get(item.process_key, 10.0))
        draw = rng.random()
        person.intake = (
            "refuse"
            if draw < profile.refuse
            else "supplement"
            if draw < profile.refuse + profile.supplement
            else "accept"
        )
        person.supplement_back = person.intake == "supplement" and rng.random() < profile.supplement_back
        person.decision = "refused" if rng.random() < profile.refuse_decision else "approved"
        person.late = (
            item.kind != "immediate"
            and item.limit_days <= 5
            and rng.random() < profile.late
            and (person.intake == "accept" or person.supplement_back)
        )
        person.decide_after_workdays = 0 if item.kind == "immediate" else rng.randint(0, min(2, item.limit_days - 1))
        if rng.random() < profile.evaluate:
            person.evaluation = weighted(rng, profile.satisfaction)
        if rng.random() < profile.complain:
            person.complaint = (
                "investor_hotline" if company and rng.random() < profile.hotline else rng.choice(COMPLAINT_CATEGORIES)
            )
        person.extended_at_yellow = rng.random() < profile.extend
        people.append(person)
    return sorted(people, key=lambda p: (p.arrives, p.number))
