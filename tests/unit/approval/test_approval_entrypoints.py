"""The approval service's entrypoints with worker_factory: no broker, no store."""

from unittest.mock import MagicMock

from nameko.testing.services import worker_factory

from services.approval.service import ApprovalService
from services.approval.step_rules import Announcement

CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
PROGRESS = {
    "case_no": "20261126000001",
    "rev": 2,
    "status": "in_progress",
    "current_step": "决定 Decide",
    "outcome": None,
}
ACCEPTED = {
    "case_no": "20261126000001",
    "item_code": "MR-001",
    "department": "market_regulation",
    "accepted_at": "2026-11-26T01:00:00+00:00",
    "accepted_by": "clerk",
}


def test_a_completed_task_announces_after_its_answer_the_hall_event_then_the_cases_progress_then_empties_the_outbox():
    processes = MagicMock()
    step = Announcement("i-1", 2, [("case_accepted", ACCEPTED), ("case_progressed", PROGRESS)])
    answer = {
        "id": "t-1",
        "name": "受理 Accept",
        "completed": True,
        "case_status": "in_progress",
        "current_step": "决定 Decide",
    }
    processes.complete.return_value = (answer, [step])
    processes.announced.side_effect = lambda announcement: events.append("outbox emptied")
    held = []
    later = MagicMock(side_effect=lambda fn, *args: held.append((fn, args)))
    service = worker_factory(ApprovalService, processes=processes, later=later)
    events = []
    service.dispatch.side_effect = lambda name, payload: events.append((name, payload))
    assert service.complete_task("t-1", {"intake_decision": "accept"}, CLERK) == answer
    assert processes.complete.call_args.args[:3] == ("t-1", {"intake_decision": "accept"}, CLERK)
    assert events == [] and len(held) == 1  # nothing goes out before the answer
    for fn, args in held:  # after the reply
        fn(*args)
    assert events == [("case_accepted", ACCEPTED), ("case_progressed", PROGRESS), "outbox emptied"]
    processes.announced.assert_called_once_with(step)


def test_a_case_submitted_twice_is_announced_once():
    processes = MagicMock()
    processes.start_for_case.side_effect = [[Announcement("i-1", 1, [("case_progressed", PROGRESS)])], []]
    service = worker_factory(ApprovalService, processes=processes)
    case = {"case_no": "20261126000001", "process_key": "immediate_item", "department": "market_regulation"}
    service.on_case_submitted(case)
    service.on_case_submitted(case)
    service.dispatch.assert_called_once_with("case_progressed", PROGRESS)


def test_the_sweep_dispatches_what_stopped_replicas_left_in_their_outboxes():
    processes = MagicMock()
    left = [
        Announcement("i-1", 3, [("case_accepted", ACCEPTED), ("case_progressed", PROGRESS)]),
        Announcement("i-2", 7, [("case_progressed", dict(PROGRESS, case_no="20261126000002"))]),
    ]
    processes.unannounced.return_value = left
    service = worker_factory(ApprovalService, processes=processes)
    service.announce_unannounced()
    assert [c.args[0] for c in service.dispatch.call_args_list] == [
        "case_accepted",
        "case_progressed",
        "case_progressed",
    ]
    assert [c.args[0] for c in processes.announced.call_args_list] == left


def test_the_hall_events_become_messages_keyed_so_that_a_repeat_is_one_message():
    processes = MagicMock()
    processes.correlate.return_value = (True, [])
    service = worker_factory(ApprovalService, processes=processes)
    service.on_supplement_received(
        {"case_no": "20261126000001", "materials": ["id_card"], "received_at": "2026-11-26T02:00:00+00:00"}
    )
    service.on_payment_confirmed(
        {
            "case_no": "20261126000001",
            "notice_no": "N1",
            "amount_fen": 5000,
            "receipt_no": "R1",
            "confirmed_at": "2026-11-26T03:00:00+00:00",
        }
    )
    supplement, payment = processes.correlate.call_args_list
    assert supplement.args[:3] == (
        "20261126000001",
        "supplement_received",
        {"materials": ["id_card"], "received_at": "2026-11-26T02:00:00+00:00"},
    )
    assert supplement.args[4] == "supplement_received:20261126000001:2026-11-26T02:00:00+00:00"
    assert payment.args[1:3] == (
        "payment_confirmed",
        {"notice_no": "N1", "amount_fen": 5000, "receipt_no": "R1", "confirmed_at": "2026-11-26T03:00:00+00:00"},
    )
    assert payment.args[4] == "payment_confirmed:N1"
