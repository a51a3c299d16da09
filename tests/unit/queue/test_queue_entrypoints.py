"""The queue service's entrypoints with worker_factory: which events each operation announces
(after its reply: left to ``later``)."""

from types import SimpleNamespace
from unittest.mock import MagicMock, call

from nameko.testing.services import worker_factory

from services.queue.service import QueueService

TICKET = {"ticket_id": "20261126-A001", "number": "A001", "state": "called"}
EVENT = {
    "ticket_id": "20261126-A001",
    "number": "A001",
    "category": "A",
    "priority": "normal",
    "state": "called",
    "window": 3,
    "issued_at": "2026-11-26T01:00:00+00:00",
}  # as services.common.contracts.events has it
CALLED = dict(EVENT, call={"seq": 1}, first_call=True)
FINISHED = dict(EVENT, state="finished", service_seconds=300)
APPOINTMENT = {
    "code": "ABCD2345",
    "category": "A",
    "day": "2026-11-26",
    "slot": "09:00",
    "state": "checked_in",
    "starts_at": "2026-11-26T01:00:00+00:00",
    "checkin_closes_at": "2026-11-26T01:15:00+00:00",
    "ticket_id": "20261126-A001",
}


def desk(**tickets):
    return SimpleNamespace(
        tickets=MagicMock(**{f"{k}.return_value": v for k, v in tickets.items()}), appointments=MagicMock()
    )


def test_an_issued_ticket_is_announced():
    service = worker_factory(QueueService, desk=desk(issue=(TICKET, EVENT)))
    assert service.issue_ticket(category="A") == TICKET
    service.later.assert_called_once_with(service.dispatch, "ticket_issued", EVENT)


def test_an_appointment_check_in_announces_the_check_in_and_the_ticket():
    service = worker_factory(QueueService, desk=desk())
    service.desk.appointments.check_in.return_value = (TICKET, EVENT, APPOINTMENT)
    service.issue_ticket(appointment_code="ABCD2345")
    assert service.later.call_args_list == [
        call(service.dispatch, "appointment_checked_in", APPOINTMENT),
        call(service.dispatch, "ticket_issued", EVENT),
    ]
    service.desk.tickets.issue.assert_not_called()


def test_an_empty_call_announces_nothing():
    service = worker_factory(QueueService, desk=desk(call=(None, None)))
    assert service.call_next(3) is None
    service.later.assert_not_called()


def test_a_recall_past_the_limit_is_announced_as_a_no_show():
    service = worker_factory(QueueService, desk=desk(recall=(dict(TICKET, state="no_show"), EVENT)))
    service.recall(3)
    service.later.assert_called_once_with(service.dispatch, "ticket_no_show", EVENT)


def test_finishing_is_announced_for_the_monitor():
    service = worker_factory(QueueService, desk=desk(finish=(dict(TICKET, state="finished"), FINISHED)))
    service.finish_service(3)
    service.later.assert_called_once_with(service.dispatch, "service_finished", FINISHED)


def test_a_call_and_a_finish_leave_their_day_counts_for_after_the_reply():
    service = worker_factory(
        QueueService, desk=desk(call=(TICKET, CALLED), finish=(dict(TICKET, state="finished"), FINISHED))
    )
    service.call_next(3)
    service.finish_service(3)
    assert service.desk.tickets.call.call_args.kwargs == {"later": service.later}
    assert service.desk.tickets.finish.call_args.kwargs == {"later": service.later}
    assert service.later.call_args_list == [
        call(service.dispatch, "ticket_called", CALLED),
        call(service.dispatch, "service_finished", FINISHED),
    ]
