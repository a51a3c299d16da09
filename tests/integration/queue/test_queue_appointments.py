"""Online appointments on the real store: booking rules, cancelling, check-in into a
priority ticket, no-shows and the monthly block. Each step runs at a chosen instant."""

from datetime import datetime, timezone

import pytest

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.workdays import SHANGHAI
from services.queue import appointments, models

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # Thursday 10:00 in the hall
PERSON, OTHER = "11010519491231002X", "110105194912310029"


def at(day, clock):
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)


@pytest.fixture
def booking(desk):
    """Appointments beside the tickets of a started queue service (it seeded the store)."""
    return appointments.Appointments(desk.hall, desk)


def test_a_booked_slot_is_checked_in_as_an_appointment_ticket_that_goes_first(booking):
    appointment = booking.book(NOW, PERSON, "A", "2026-11-27", "09:30")
    assert appointment["state"] == "booked" and len(appointment["code"]) == 8
    earlier, _ = booking.tickets.issue(at("2026-11-27", "09:10"), category="A")
    ticket, event, checked_in = booking.check_in(at("2026-11-27", "09:20"), appointment["code"])
    assert ticket["priority"] == "appointment" and ticket["appointment_code"] == appointment["code"]
    assert checked_in["state"] == "checked_in" and checked_in["ticket_id"] == ticket["ticket_id"]
    assert event["priority"] == "appointment"
    assert booking.tickets.call(1, at("2026-11-27", "09:21"))[0]["number"] == ticket["number"]
    assert earlier["number"] != ticket["number"]
    with pytest.raises(Conflict, match="already checked in"):
        booking.check_in(at("2026-11-27", "09:22"), appointment["code"])


def test_check_in_is_open_only_around_the_slot(booking):
    code = booking.book(NOW, PERSON, "A", "2026-11-27", "09:30")["code"]
    for moment in (at("2026-11-27", "09:14"), at("2026-11-27", "09:46")):
        with pytest.raises(InvalidInput, match="09:15 to 09:45"):
            booking.check_in(moment, code)
    assert models.Appointment.objects(code=code).first().state == "booked"
    assert models.Ticket.objects.count() == 0


def test_booking_covers_the_next_five_working_days_only(booking):
    assert booking.book(NOW, PERSON, "A", "2026-12-03", "09:00")["day"] == "2026-12-03"  # 5th working day
    for day, reason in (
        ("2026-12-04", "until 2026-12-03"),
        ("2026-11-28", "does not work"),
        ("2026-11-25", "past"),
        ("27.11.2026", "not a YYYY-MM-DD"),
    ):
        with pytest.raises(InvalidInput, match=reason):
            booking.book(NOW, OTHER, "A", day, "09:00")
    with pytest.raises(InvalidInput, match="already begun"):
        booking.book(NOW, OTHER, "A", "2026-11-26", "09:30")
    with pytest.raises(InvalidInput, match="no slot 12:30"):
        booking.book(NOW, OTHER, "A", "2026-11-27", "12:30")


def test_across_new_year_booking_counts_on_the_statutory_holidays_of_a_year_not_yet_published(booking):
    before_new_year = datetime(2026, 12, 29, 2, 0, tzinfo=timezone.utc)
    assert booking.book(before_new_year, PERSON, "A", "2027-01-05", "09:00")["day"] == "2027-01-05"
    with pytest.raises(InvalidInput, match="does not work on 2027-01-01"):
        booking.book(before_new_year, OTHER, "A", "2027-01-01", "09:00")


def test_beyond_the_calendar_booking_is_refused_clearly(booking):
    with pytest.raises(InvalidInput, match="cannot be booked yet: no holiday schedule for 2100-01-01"):
        booking.book(datetime(2099, 12, 29, 2, 0, tzinfo=timezone.utc), PERSON, "A", "2099-12-30", "09:00")


def test_one_booking_per_person_and_day_and_no_more_than_the_capacity(booking):
    booking.book(NOW, PERSON, "A", "2026-11-27", "09:00")
    with pytest.raises(Conflict, match="already has an appointment"):
        booking.book(NOW, PERSON, "B", "2026-11-27", "14:00")
    for n in range(3):  # capacity of A is 4 per slot
        booking.book(NOW, f"32010519491231{n:03d}X", "A", "2026-11-27", "09:00")
    with pytest.raises(Conflict, match="fully booked"):
        booking.book(NOW, OTHER, "A", "2026-11-27", "09:00")
    assert models.SlotLoad.objects(key="A:2026-11-27:09:00").first().booked == 4
    assert models.PersonDay.objects(key=f"{OTHER}:2026-11-27").first() is None
    slots = booking.slots(NOW, "A", "2026-11-27")["slots"]
    assert slots[0] == {"slot": "09:00", "starts_at": "2026-11-27T01:00:00+00:00", "capacity": 4, "free": 0}
    assert slots[1]["free"] == 4 and len(slots) == 13  # 6 slots in the morning, 7 in the afternoon


def test_cancel_until_two_hours_before_frees_the_place(booking):
    code = booking.book(NOW, PERSON, "A", "2026-11-27", "09:00")["code"]
    with pytest.raises(NotFound):
        booking.cancel(NOW, code, OTHER)
    with pytest.raises(Conflict, match="until 2 h before"):
        booking.cancel(at("2026-11-27", "07:01"), code, PERSON)
    assert booking.cancel(at("2026-11-27", "07:00"), code, PERSON)["state"] == "cancelled"
    assert models.SlotLoad.objects(key="A:2026-11-27:09:00").first().booked == 0
    assert booking.book(NOW, PERSON, "B", "2026-11-27", "14:00")["state"] == "booked"


def test_two_no_shows_in_a_month_block_booking_for_the_rest_of_it(booking):
    first = booking.book(NOW, PERSON, "A", "2026-11-27", "09:00")["code"]
    second = booking.book(NOW, PERSON, "A", "2026-11-30", "09:00")["code"]
    assert booking.record_no_shows(at("2026-11-27", "09:15")) == []  # check-in still open
    assert [a["code"] for a in booking.record_no_shows(at("2026-11-27", "09:16"))] == [first]
    booking.record_no_shows(at("2026-11-30", "10:00"))
    assert models.Appointment.objects(code=second).first().state == "no_show"
    assert booking.record_no_shows(at("2026-11-30", "10:01")) == []  # recorded once
    with pytest.raises(Forbidden, match="blocked until the end of 2026-11"):
        booking.book(at("2026-11-30", "10:00"), PERSON, "A", "2026-12-01", "09:00")
    assert booking.book(at("2026-12-01", "08:00"), PERSON, "A", "2026-12-02", "09:00")["state"] == "booked"
    with pytest.raises(Conflict, match="no_show"):
        booking.check_in(at("2026-11-27", "09:20"), first)


def test_a_closed_day_in_the_settings_is_not_bookable(booking):
    booking.hall.update_settings({"closures": ["2026-11-27"]})
    with pytest.raises(InvalidInput, match="does not work on 2026-11-27"):
        booking.book(NOW, PERSON, "A", "2026-11-27", "09:00")
    booking.hall.update_settings({"closures": [], "extra_workdays": ["2026-11-28"]})
    assert booking.book(NOW, PERSON, "A", "2026-11-28", "09:00")["state"] == "booked"


def test_a_lower_case_x_is_the_same_person_as_an_upper_case_x(booking):
    booked = booking.book(NOW, PERSON.lower(), "A", "2026-11-27", "09:00")
    assert models.Appointment.objects(code=booked["code"]).first().applicant_id == PERSON
    with pytest.raises(Conflict, match="already has an appointment"):
        booking.book(NOW, PERSON, "B", "2026-11-27", "14:00")
    assert booking.cancel(NOW, booked["code"], PERSON.lower())["state"] == "cancelled"

    booking.hall.update_settings({"vip_ids": [OTHER, PERSON.lower()]})
    ticket, _ = booking.tickets.issue(NOW, category="A", applicant_id=PERSON.lower())

    assert booking.hall.settings().vip_ids == [OTHER, PERSON]
    stored = models.Ticket.objects(ticket_id=ticket["ticket_id"]).first()
    assert (stored.applicant_id, stored.priority) == (PERSON, "vip")
