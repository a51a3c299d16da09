"""The simulated day's applicants: seeded, within the opening hours, peaking in the morning."""

from collections import Counter
from datetime import date

from sim.arrivals import Item, Profile, generate, hourly_rates, sessions_of
from sim.identities import credit_code, resident_id
from sim.workdays import SHANGHAI

ITEMS = [
    Item("MR-001", "market_regulation", "immediate", "immediate_item", 0, ("application_form",)),
    Item("MR-004", "market_regulation", "promised", "promised_item", 3, ("application_form",)),
    Item("NR-001", "natural_resources", "promised", "fee_item", 5, ("application_form",), 8000),
    Item("MR-010", "market_regulation", "joint", "joint_registration", 3, ("application_form",)),
]
SESSIONS = sessions_of([["09:00", "12:00"], ["13:30", "17:00"]], date(2026, 12, 10), SHANGHAI)


def day(seed=7, **shape):
    return generate(seed, Profile(**shape), ITEMS, lambda code: code[0], SESSIONS)


def test_a_seed_replays_the_same_day_and_another_seed_does_not():
    assert [(p.arrives, p.item.code, p.intake) for p in day(7)] == [(p.arrives, p.item.code, p.intake) for p in day(7)]
    assert [p.arrives for p in day(7)] != [p.arrives for p in day(8)]


def test_the_expected_arrivals_over_the_hours_add_up_to_the_day_and_peak_in_the_morning():
    rates = hourly_rates(SESSIONS, 400)
    assert round(sum(mean for _, _, mean in rates), 6) == 400
    per_hour = {a.hour: mean / ((b - a).total_seconds() / 3600) for a, b, mean in rates}
    assert max(per_hour, key=per_hour.get) in (9, 10)
    assert per_hour[9] > per_hour[16]


def test_everybody_arrives_within_the_opening_sessions_in_order():
    people = day(applicants=300)
    assert 240 < len(people) < 360  # Poisson around 300
    assert all(any(a <= p.arrives < b for a, b in SESSIONS) for p in people)
    assert [p.arrives for p in people] == sorted(p.arrives for p in people)


def test_appointments_arrive_around_their_slot_and_only_cases_that_get_accepted_are_made_late():
    people = day(applicants=400, appointment=0.5, late=0.5)
    for person in people:
        if person.appointment_slot:
            slot = person.arrives.replace(
                hour=int(person.appointment_slot[:2]), minute=int(person.appointment_slot[3:])
            )
            assert -5 <= (person.arrives - slot).total_seconds() / 60 <= 10
        if person.late:
            assert person.intake == "accept" or person.supplement_back
            assert person.item.kind != "immediate"
    assert any(p.late for p in people)


def test_the_mix_weights_the_processes():
    kinds = Counter(p.item.process_key for p in day(applicants=400, mix={"immediate_item": 1, "fee_item": 0}))
    assert set(kinds) == {"immediate_item"}


def test_the_satisfaction_profile_sets_the_evaluations():
    levels = Counter(p.evaluation for p in day(applicants=300, evaluate=1.0, satisfaction={1: 1.0}))
    assert set(levels) == {1}


def test_simulated_identifiers_carry_their_check_characters():
    assert (
        resident_id(0)[-1]
        == "10X98765432"[
            sum(int(c) * w for c, w in zip(resident_id(0)[:17], (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
            % 11
        ]
    )
    assert len({resident_id(n) for n in range(1000)}) == 1000
    assert len({credit_code(n) for n in range(1000)}) == 1000 and all(len(credit_code(n)) == 18 for n in range(50))
