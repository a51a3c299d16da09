"""Online appointments (网上预约): slots per category and working day, booking, cancelling,
check-in at the kiosk (which issues an appointment-class ticket) and no-shows.

Rules (numbers in the hall settings): book up to ``booking_workdays`` working days ahead,
one booking per person and day, cancel until ``cancel_hours`` before the slot, check in
within ``checkin_minutes`` of the slot's start; ``no_show_limit`` no-shows in a month
block booking for the rest of that month. Days follow the hall's working-day calendar
(official holidays and make-up working days, plus the hall's own closures).
"""

import secrets
from datetime import date, timedelta

import mongoengine as me

from services.common import applicant_ids
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.time import isoformat
from services.common.workdays import SHANGHAI, CalendarRangeError, shanghai_day
from services.queue import measures, models
from services.queue.setup import slot_starts

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _invalid(field, message):
    return InvalidInput(message, [{"field": field, "message": message}])


class Appointments:
    def __init__(self, hall, tickets):
        self.hall = hall
        self.tickets = tickets

    def _bookable_day(self, settings, now, day_text):
        """The day, if it is a working day from today up to the booking horizon."""
        try:
            day = date.fromisoformat(day_text)
        except (TypeError, ValueError):
            raise _invalid("day", f"{day_text!r} is not a YYYY-MM-DD date") from None
        today = shanghai_day(now)
        if day < today:
            raise _invalid("day", f"{day.isoformat()} is in the past")
        calendar = self.hall.calendar(settings)
        try:
            last = calendar.add_workdays(today, settings.booking_workdays)
            if day > last:
                raise _invalid(
                    "day",
                    f"appointments can be booked up to {settings.booking_workdays} working days "
                    f"ahead, that is until {last.isoformat()}",
                )
            if not calendar.is_workday(day):
                raise _invalid("day", f"the hall does not work on {day.isoformat()}")
        except CalendarRangeError as exc:
            raise _invalid("day", f"appointments cannot be booked yet: {exc}") from None
        return day

    def slots(self, now, category_code, day_text):
        """The day's slots of a category with their free places."""
        settings = self.hall.settings()
        category = self.hall.category(category_code)
        day = self._bookable_day(settings, now, day_text)
        starts = {f"{category.code}:{day}:{start.strftime('%H:%M')}": start for start in slot_starts(settings, day)}
        loads = {s.key: s.booked for s in models.SlotLoad.objects(key__in=list(starts))}
        slots = []
        for key, start in starts.items():
            slot = start.strftime("%H:%M")
            booked = loads.get(key, 0)
            slots.append(
                {
                    "slot": slot,
                    "starts_at": isoformat(start),
                    "capacity": category.appointment_capacity,
                    "free": 0 if start <= now else max(category.appointment_capacity - booked, 0),
                }
            )
        return {"category": category.code, "day": day.isoformat(), "slots": slots}

    def book(self, now, applicant_id, category_code, day_text, slot):
        applicant_id = applicant_ids.normalise(applicant_id)
        settings = self.hall.settings()
        category = self.hall.category(category_code)
        if category.appointment_capacity <= 0:
            raise _invalid("category", f"category {category.code} takes no appointments")
        day = self._bookable_day(settings, now, day_text)
        start = next((s for s in slot_starts(settings, day) if s.strftime("%H:%M") == slot), None)
        if start is None:
            raise _invalid("slot", f"there is no slot {slot} on {day.isoformat()}")
        if start <= now:
            raise _invalid("slot", f"the slot {slot} on {day.isoformat()} has already begun")
        month = shanghai_day(now).strftime("%Y-%m")
        strikes = models.NoShowMonth.objects(key=f"{applicant_id}:{month}").first()
        if strikes and strikes.count >= settings.no_show_limit:
            raise Forbidden(
                f"booking is blocked until the end of {month}: {strikes.count} appointments were not kept this month"
            )
        code = new_code()
        try:
            models.PersonDay(key=f"{applicant_id}:{day}", code=code).save(force_insert=True)
        except me.NotUniqueError:
            raise Conflict(f"this person already has an appointment on {day.isoformat()}") from None
        load_key = f"{category.code}:{day}:{slot}"
        try:
            models.SlotLoad(key=load_key, booked=0).save(force_insert=True)
        except me.NotUniqueError:
            pass
        if not models.SlotLoad.objects(key=load_key, booked__lt=category.appointment_capacity).update_one(
            inc__booked=1
        ):
            models.PersonDay.objects(key=f"{applicant_id}:{day}", code=code).delete()
            raise Conflict(f"the slot {slot} on {day.isoformat()} is fully booked")
        appointment = models.Appointment(
            code=code,
            applicant_id=applicant_id,
            category=category.code,
            day=day.isoformat(),
            slot=slot,
            state="booked",
            starts_at=start,
            booked_at=now,
            checkin_closes_at=start + timedelta(minutes=settings.checkin_minutes),
        )
        appointment.save(force_insert=True)
        return appointment_view(appointment)

    def _find(self, code):
        appointment = models.Appointment.objects(code=code).first()
        if appointment is None:
            raise NotFound(f"there is no appointment {code}")
        return appointment

    def cancel(self, now, code, applicant_id):
        appointment = self._find(code)
        if appointment.applicant_id != applicant_ids.normalise(applicant_id):
            raise NotFound(f"there is no appointment {code}")  # a wrong person looks like no booking
        if appointment.state != "booked":
            raise Conflict(f"appointment {code} is {appointment.state}")
        hours = self.hall.settings().cancel_hours
        if now > appointment.starts_at - timedelta(hours=hours):
            raise Conflict(f"an appointment can be cancelled until {hours} h before its slot")
        cancelled = models.Appointment.objects(code=code, state="booked").modify(new=True, set__state="cancelled")
        if cancelled is None:
            raise Conflict(f"appointment {code} changed meanwhile")
        models.SlotLoad.objects(key=f"{cancelled.category}:{cancelled.day}:{cancelled.slot}").update_one(dec__booked=1)
        models.PersonDay.objects(key=f"{applicant_id}:{cancelled.day}", code=code).delete()
        return appointment_view(cancelled)

    def check_in(self, now, code):
        """At the kiosk around the slot's start: the appointment becomes a priority ticket.

        Returns ``(ticket view, ticket event, appointment view)``."""
        appointment = self._find(code)
        if appointment.state == "checked_in":
            raise Conflict(f"appointment {code} was already checked in (ticket {appointment.ticket_id})")
        if appointment.state != "booked":
            raise Conflict(f"appointment {code} is {appointment.state}")
        minutes = self.hall.settings().checkin_minutes
        opens, closes = appointment.starts_at - timedelta(minutes=minutes), appointment.checkin_closes_at
        if not opens <= now <= closes:
            local = "%H:%M"
            raise InvalidInput(
                f"check-in for appointment {code} is open from "
                f"{opens.astimezone(SHANGHAI).strftime(local)} to "
                f"{closes.astimezone(SHANGHAI).strftime(local)} on {appointment.day}"
            )
        if not models.Appointment.objects(code=code, state="booked").update_one(set__state="checked_in"):
            raise Conflict(f"appointment {code} was already checked in")
        ticket, event = self.tickets.issue(
            now, category=appointment.category, applicant_id=appointment.applicant_id, appointment=code
        )
        checked_in = models.Appointment.objects(code=code).modify(new=True, set__ticket_id=ticket["ticket_id"])
        return ticket, event, appointment_view(checked_in)

    def record_no_shows(self, now):
        """Bookings whose check-in closed unused become no-shows (爽约), counted per month."""
        recorded = []
        for appointment in models.Appointment.objects(state="booked", checkin_closes_at__lt=now):
            missed = models.Appointment.objects(code=appointment.code, state="booked").modify(
                new=True, set__state="no_show"
            )
            if missed is None:
                continue
            month = missed.day[:7]
            models.NoShowMonth.objects(key=f"{missed.applicant_id}:{month}").update_one(upsert=True, inc__count=1)
            measures.NO_SHOWS.labels(missed.category, "appointment").inc()
            recorded.append(appointment_view(missed))
        return recorded


def appointment_view(appointment):
    return {
        "code": appointment.code,
        "category": appointment.category,
        "day": appointment.day,
        "slot": appointment.slot,
        "state": appointment.state,
        "starts_at": isoformat(appointment.starts_at),
        "checkin_closes_at": isoformat(appointment.checkin_closes_at),
        "ticket_id": appointment.ticket_id,
    }
