"""The monitor service: electronic supervision (电子监察) — time limits, warnings and
accountability from the other services' events — and the platform clock."""

from nameko.events import EventDispatcher
from nameko.timer import timer

from services.common import platform_service
from services.common.contracts import events
from services.common.db import ServiceStore
from services.common.entrypoints import event_handler, rpc
from services.common.errors import InvalidInput
from services.common.idempotency import idempotent
from services.common.retired_queues import RetiredQueues, event_queue
from services.common.time import isoformat, utcnow
from services.common.workdays import load_hall_calendar
from services.monitor import complaints, evaluations, platform_clock, stats, supervision

SCHEDULER_INTERVAL_SECONDS = 1
GAUGE_INTERVAL_SECONDS = 15


def open_supervision(config):
    return supervision.Supervision(load_hall_calendar(config["HALL_CALENDAR_FILE"]), config["YELLOW_WARNING_WORKDAYS"])


def open_complaints(config):
    return complaints.Complaints(
        load_hall_calendar(config["HALL_CALENDAR_FILE"]),
        config["COMPLAINT_ACCEPT_WORKDAYS"],
        config["COMPLAINT_RESOLVE_WORKDAYS"],
        config["YELLOW_WARNING_WORKDAYS"],
    )


def open_evaluations(config):
    return evaluations.Evaluations(load_hall_calendar(config["HALL_CALENDAR_FILE"]), config["RECTIFICATION_WORKDAYS"])


class MonitorService(platform_service.PlatformService):
    name = "monitor"

    watch = ServiceStore(open_supervision)
    complaints = ServiceStore(open_complaints)
    evaluations = ServiceStore(open_evaluations)
    clock = platform_clock.MonitorClock()
    dispatch = EventDispatcher()
    # The hall's queue waits come from the queue's day counts (the gateway adds them to the
    # statistics): the monitor no longer stores one document per call.
    retired = RetiredQueues(event_queue(events.TICKET_CALLED, "monitor", "on_ticket_called"))

    # -- the platform clock ---------------------------------------------------------------

    @rpc
    def get_clock(self):
        return platform_clock.view()

    @rpc
    @idempotent
    def set_clock(self, set_by, advance_seconds=None, offset_seconds=None):
        clock = platform_clock.move(self.config, set_by, utcnow(), advance_seconds, offset_seconds)
        self.dispatch(*events.CLOCK_SET.event(**clock))
        self.watch.run_due(utcnow())
        return clock

    # -- facts from the other services ----------------------------------------------------

    @event_handler(events.CASE_SUBMITTED)
    def on_case_submitted(self, payload):
        self.watch.case_submitted(payload, utcnow())

    @event_handler(events.CASE_ACCEPTED)
    def on_case_accepted(self, payload):
        self.watch.case_accepted(payload, utcnow())

    @event_handler(events.CASE_REFUSED)
    def on_case_refused(self, payload):
        self.watch.case_refused(payload, utcnow())

    @event_handler(events.SUPPLEMENT_REQUESTED)
    def on_supplement_requested(self, payload):
        self.watch.supplement_requested(payload, utcnow())

    @event_handler(events.SUPPLEMENT_RECEIVED)
    def on_supplement_received(self, payload):
        self.watch.supplement_received(payload, utcnow())

    @event_handler(events.CASE_DECIDED)
    def on_case_decided(self, payload):
        self.watch.case_decided(payload, utcnow())

    # -- the scheduler ----------------------------------------------------------------------

    @timer(interval=SCHEDULER_INTERVAL_SECONDS)
    def run_scheduler(self):
        self.watch.run_due(utcnow())

    @timer(interval=GAUGE_INTERVAL_SECONDS)
    def refresh_gauges(self):
        self.watch.refresh_gauges()
        self.complaints.refresh_gauge(utcnow())

    # -- supervision ----------------------------------------------------------------------

    @rpc
    def list_warnings(self, viewer, level=None):
        return self.watch.warnings(viewer, utcnow(), level)

    @rpc
    def get_case_standing(self, case_no, viewer):
        return self.watch.case_standing(case_no, viewer, utcnow())

    @rpc
    @idempotent
    def approve_extension(self, case_no, days, reason, viewer):
        extension_id, extension, deadline = self.watch.approve_extension(case_no, days, reason, viewer, utcnow())
        # Intake counts the extension on the same rule; approval's tasks take the new deadline.
        self.dispatch(
            *events.CASE_EXTENDED.event(
                **extension, case_no=case_no, extension_id=extension_id, deadline=isoformat(deadline)
            )
        )
        return extension

    @rpc
    @idempotent
    def suspend_case(self, case_no, procedure, reason, viewer):
        suspension = self.watch.suspend(case_no, procedure, reason, viewer, utcnow())
        self.dispatch(*events.CASE_SUSPENDED.event(**suspension))
        return suspension

    @rpc
    @idempotent
    def resume_case(self, case_no, viewer):
        resumption, deadline = self.watch.resume(case_no, viewer, utcnow())
        self.dispatch(*events.CASE_RESUMED.event(**resumption, deadline=isoformat(deadline)))
        return dict(resumption, deadline=isoformat(deadline))

    @rpc
    def list_accountability(self, viewer, status=None):
        return self.watch.accountability(viewer, utcnow(), status)

    @rpc
    @idempotent
    def acknowledge_accountability(self, case_no, viewer):
        return self.watch.acknowledge(case_no, viewer, utcnow())

    @rpc
    @idempotent
    def close_accountability(self, case_no, resolution, viewer):
        return self.watch.close(case_no, resolution, viewer, utcnow())

    # -- complaints and evaluations -------------------------------------------------------

    @rpc
    @idempotent
    def file_complaint(self, complaint, channel="public"):
        return self.complaints.file(complaint, channel, utcnow())

    @rpc
    def follow_complaint(self, complaint_no, follow_code):
        return self.complaints.follow(complaint_no, follow_code, utcnow())

    @rpc
    def list_complaints(self, viewer, status=None):
        return self.complaints.listing(viewer, utcnow(), status)

    @rpc
    @idempotent
    def move_complaint(self, complaint_no, to, note, handler):
        return self.complaints.move(complaint_no, to, note, handler, utcnow())

    @rpc
    @idempotent
    def evaluate_case(self, case_no, level, comment=None):
        return self.evaluations.evaluate(case_no, level, comment, utcnow())

    @rpc
    def list_rectifications(self, viewer, status="open"):
        return self.evaluations.rectifications(viewer, status)

    @rpc
    @idempotent
    def rectify(self, case_no, rectification, callback_note, handler):
        return self.evaluations.rectify(case_no, rectification, callback_note, handler, utcnow())

    # -- statistics -----------------------------------------------------------------------

    @rpc
    def statistics(self, first_day=None, last_day=None, department=None, item_code=None):
        try:
            return stats.statistics(utcnow(), first_day, last_day, department, item_code)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
