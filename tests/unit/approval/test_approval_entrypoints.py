"""The approval service's entrypoints with worker_factory: no broker, no store."""
from unittest.mock import MagicMock

from nameko.testing.services import worker_factory

from services.approval.service import ApprovalService

CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
PROGRESS = {"case_no": "20261126000001", "rev": 2, "status": "in_progress", "current_step": "决定 Decide",
            "outcome": None}


def test_a_completed_task_announces_the_cases_progress():
    processes = MagicMock()
    processes.complete.return_value = ({"id": "t-1", "name": "受理 Accept"}, PROGRESS)
    service = worker_factory(ApprovalService, processes=processes)
    answer = service.complete_task("t-1", {"materials_complete": True}, CLERK)
    assert answer == {"id": "t-1", "name": "受理 Accept", "completed": True, "case_status": "in_progress",
                      "current_step": "决定 Decide"}
    assert processes.complete.call_args.args[:3] == ("t-1", {"materials_complete": True}, CLERK)
    service.dispatch.assert_called_once_with("case_progressed", PROGRESS)


def test_a_case_submitted_twice_is_announced_once():
    processes = MagicMock()
    processes.start_for_case.side_effect = [PROGRESS, None]
    service = worker_factory(ApprovalService, processes=processes)
    case = {"case_no": "20261126000001", "process_key": "immediate_item", "department": "market_regulation"}
    service.on_case_submitted(case)
    service.on_case_submitted(case)
    service.dispatch.assert_called_once_with("case_progressed", PROGRESS)
