"""A step of the approval that changes nothing intake or the monitor own (a task done, the
case moving on) costs them no store command and does not wake intake; the acceptance, which
they own, costs each two; the step that ends the process reaches intake as ``process_completed``.
Counted per service database with pymongo's command monitoring, on the real broker and
store, with the real approval, intake and monitor services (their timers left out: they poll
whatever the steps do)."""

from contextlib import ExitStack
from unittest import mock

import eventlet
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, restrict_entrypoints
from pymongo import monitoring

from services.approval.service import ApprovalService
from services.common.db import database_name
from services.intake.service import IntakeService
from services.monitor.service import MonitorService

FOOD_LICENCE = {
    "item_code": "MR-003",
    "applicant": {"kind": "company", "name": "榆林市塞上食品有限公司", "credit_code": "91350100M000100Y43"},
    "materials": ["application_form", "business_license", "premises_layout", "safety_rules"],
}
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
REVIEWER = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
INTAKE_ENTRYPOINTS = (
    "submit_case",
    "get_public_case",
    "on_process_completed",
    "on_case_accepted",
    "on_case_refused",
    "on_supplement_requested",
    "on_case_decided",
    "on_payment_notice_issued",
    "on_payment_confirmed",
    "on_case_extended",
    "on_case_suspended",
    "on_case_resumed",
)
MONITOR_ENTRYPOINTS = (
    "on_case_submitted",
    "on_case_accepted",
    "on_case_refused",
    "on_supplement_requested",
    "on_supplement_received",
    "on_case_decided",
)


class StoreCommands(monitoring.CommandListener):
    """The commands sent to each database while counting: ``(command, collection)`` lists."""

    def __init__(self):
        self.seen = None

    def started(self, event):
        if self.seen is not None:
            self.seen.setdefault(event.database_name, []).append(
                (event.command_name, event.command.get(event.command_name))
            )

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


COMMANDS = StoreCommands()
monitoring.register(COMMANDS)  # at collection, before any client of the test session exists


def call(container, method, *args):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args)


def waiting_for(*handlers):
    """Wait, on leaving, until each ``(container, entrypoint)`` has handled an event."""
    stack = ExitStack()
    for container, name in handlers:
        stack.enter_context(entrypoint_waiter(container, name, timeout=30))
    return stack


def counted(config, step):
    """The store commands intake and the monitor send while ``step()`` runs and they react."""
    COMMANDS.seen = {}
    try:
        step()
        eventlet.sleep(0.5)  # anything that would still come
    finally:
        seen, COMMANDS.seen = COMMANDS.seen, None
    return {service: seen.get(database_name(config, service), []) for service in ("intake", "monitor")}


def test_a_plain_step_costs_intake_and_the_monitor_no_store_command(container_factory, service_config, clean_databases):
    approval = container_factory(ApprovalService, service_config)
    intake = container_factory(IntakeService, service_config)
    restrict_entrypoints(intake, *INTAKE_ENTRYPOINTS)
    monitor = container_factory(MonitorService, service_config)
    restrict_entrypoints(monitor, *MONITOR_ENTRYPOINTS)
    for container in (approval, intake, monitor):
        container.start()
    with waiting_for((approval, "on_case_submitted"), (monitor, "on_case_submitted")):
        receipt = call(intake, "submit_case", FOOD_LICENCE)
    case_no = receipt["case_no"]

    def complete(user, element_id, data):
        (task,) = [t for t in call(approval, "list_tasks", user) if t["case_no"] == case_no]
        assert task["element_id"] == element_id
        call(approval, "complete_task", task["id"], data, user)

    def accept():
        with waiting_for((intake, "on_case_accepted"), (monitor, "on_case_accepted")):
            complete(CLERK, "accept", {"intake_decision": "accept"})

    def review():
        complete(REVIEWER, "review", {"review_result": "pass"})

    accepted = counted(service_config, accept)
    assert accepted["intake"] == [("find", "cases"), ("update", "cases")]
    assert accepted["monitor"] == [("update", "cases"), ("update", "timers")]
    with mock.patch.object(intake, "spawn_worker", wraps=intake.spawn_worker) as intake_workers:
        assert counted(service_config, review) == {"intake": [], "monitor": []}
    assert intake_workers.call_count == 0  # no event of the review reached intake at all

    shown = call(intake, "get_public_case", case_no, receipt["query_code"])
    assert (shown["status"], shown["current_step"]) == ("accepted", "决定 Decide")
    assert [s.get("step") for s in shown["steps"] if s["kind"] == "task_done"] == ["受理 Accept", "审查 Review"]

    with waiting_for((intake, "on_process_completed"), (intake, "on_case_decided")):
        complete(CHIEF, "decide", {"decision": "approved"})
    shown = call(intake, "get_public_case", case_no, receipt["query_code"])
    assert (shown["status"], shown["outcome"]) == ("completed", "approved")
