"""The queue service: queue-number calling (电子抽号, 排队叫号) and online appointments (网上预约)."""

from nameko.events import EventDispatcher
from nameko.timer import timer

from services.common import platform_service
from services.common.contracts import events
from services.common.db import ServiceStore
from services.common.entrypoints import AfterReply, rpc
from services.common.idempotency import idempotent
from services.common.sequences import hall_day
from services.common.time import utcnow
from services.common.workdays import load_hall_calendar
from services.queue import appointments, board, setup, tickets

SWEEP_INTERVAL_SECONDS = 60


class QueueDesk:
    """What the entrypoints use: the hall's set-up, tickets and appointments."""

    def __init__(self, config):
        setup.seed(setup.read_setup_file(config["QUEUE_SETUP_FILE"]))
        self.hall = setup.Hall(load_hall_calendar(config["HALL_CALENDAR_FILE"]))
        self.tickets = tickets.Tickets(self.hall)
        self.appointments = appointments.Appointments(self.hall, self.tickets)


class QueueService(platform_service.PlatformService):
    name = "queue"

    desk = ServiceStore(QueueDesk)
    dispatch = EventDispatcher()
    later = AfterReply()

    def _announce(self, contract, payload):
        """The queue's events go out after the reply: a window does not wait for the broker's
        confirm of an event only listeners (the screens) read."""
        if payload is not None:
            self.later(self.dispatch, *contract.event(**payload))

    # -- set-up (admin) -----------------------------------------------------------------
    @rpc
    def get_setup(self):
        hall = self.desk.hall
        return {
            "categories": [setup.category_view(c) for c in hall.categories()],
            "windows": [setup.window_view(w) for w in hall.windows()],
            "settings": setup.settings_view(hall.settings()),
        }

    @rpc
    @idempotent
    def put_category(self, code, category):
        return setup.category_view(self.desk.hall.put_category(code, category))

    @rpc
    @idempotent
    def put_window(self, number, categories, open=True):
        return setup.window_view(self.desk.hall.put_window(number, categories, open))

    @rpc
    @idempotent
    def update_settings(self, changes):
        return setup.settings_view(self.desk.hall.update_settings(changes))

    # -- the kiosk ----------------------------------------------------------------------
    @rpc
    @idempotent
    def issue_ticket(self, category=None, item_code=None, priority="normal", applicant_id=None, appointment_code=None):
        """A ticket; with an appointment code, the appointment's check-in."""
        if appointment_code:
            ticket, event, appointment = self.desk.appointments.check_in(utcnow(), appointment_code)
            self._announce(events.APPOINTMENT_CHECKED_IN, appointment)
        else:
            ticket, event = self.desk.tickets.issue(utcnow(), category, item_code, priority, applicant_id)
        self._announce(events.TICKET_ISSUED, event)
        return ticket

    @rpc
    def get_ticket(self, ticket_id):
        return tickets.ticket_view(self.desk.tickets.get(ticket_id))

    # -- window operations --------------------------------------------------------------
    @rpc
    @idempotent
    def call_next(self, window):
        """The next ticket for the window, or None when nobody waits."""
        ticket, event = self.desk.tickets.call(window, utcnow(), later=self.later)
        self._announce(events.TICKET_CALLED, event)
        return ticket

    @rpc
    @idempotent
    def recall(self, window):
        ticket, event = self.desk.tickets.recall(window, utcnow())
        self._announce(events.TICKET_NO_SHOW if ticket["state"] == "no_show" else events.TICKET_CALLED, event)
        return ticket

    @rpc
    @idempotent
    def mark_no_show(self, window):
        ticket, event = self.desk.tickets.no_show(window, utcnow())
        self._announce(events.TICKET_NO_SHOW, event)
        return ticket

    @rpc
    @idempotent
    def start_service(self, window):
        ticket, event = self.desk.tickets.start(window, utcnow())
        self._announce(events.SERVICE_STARTED, event)
        return ticket

    @rpc
    @idempotent
    def finish_service(self, window):
        ticket, event = self.desk.tickets.finish(window, utcnow(), later=self.later)
        self._announce(events.SERVICE_FINISHED, event)
        return ticket

    @rpc
    @idempotent
    def transfer(self, window, category=None, to_window=None):
        ticket, event = self.desk.tickets.transfer(window, utcnow(), category, to_window)
        self._announce(events.TICKET_TRANSFERRED, event)
        return ticket

    @rpc
    @idempotent
    def link_case(self, ticket_id, case_no):
        return self.desk.tickets.link_case(ticket_id, case_no)

    # -- the board and measures ---------------------------------------------------------
    @rpc
    def get_board(self):
        return board.board(utcnow())

    @rpc
    def calls_after(self, seq):
        return board.calls_after(seq, utcnow())

    @rpc
    def get_stats(self, day=None):
        """The day's measures; ``day`` is an ISO date, today (in the hall) if absent."""
        self.later.settled()
        return board.day_stats(tickets.stored_day(day) if day else hall_day(utcnow()))

    @rpc
    def day_tickets(self, day=None):
        """The day's tickets by issue time; ``day`` is an ISO date, today (in the hall) if absent."""
        return board.day_tickets(tickets.stored_day(day) if day else hall_day(utcnow()))

    @rpc
    def period_waits(self, first_day, last_day):
        self.later.settled()
        return board.period_waits(first_day, last_day)

    # -- appointments -------------------------------------------------------------------
    @rpc
    def appointment_slots(self, category, day):
        return self.desk.appointments.slots(utcnow(), category, day)

    @rpc
    @idempotent
    def book_appointment(self, applicant_id, category, day, slot):
        appointment = self.desk.appointments.book(utcnow(), applicant_id, category, day, slot)
        self._announce(events.APPOINTMENT_BOOKED, appointment)
        return appointment

    @rpc
    @idempotent
    def cancel_appointment(self, code, applicant_id):
        appointment = self.desk.appointments.cancel(utcnow(), code, applicant_id)
        self._announce(events.APPOINTMENT_CANCELLED, appointment)
        return appointment

    @timer(interval=SWEEP_INTERVAL_SECONDS)
    def sweep(self):
        """Appointments not kept become no-shows; tickets left from earlier days are abandoned."""
        now = utcnow()
        for appointment in self.desk.appointments.record_no_shows(now):
            self._announce(events.APPOINTMENT_NO_SHOW, appointment)
        for ticket_id in self.desk.tickets.abandon_earlier_days(now):
            self._announce(events.TICKET_ABANDONED, {"ticket_id": ticket_id})
