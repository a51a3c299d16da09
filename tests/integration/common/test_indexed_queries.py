"""Every query a case's way through the hall (and a ticket's through the queue) sends to the store is answered from an index, so
what a step costs does not grow with the cases stored before it.

The real approval, intake and monitor services (their timers left out: they run on their own
clock) take a case from the kiosk to its decision, with the work lists and the applicant's view
on the way; pymongo's command monitoring records each query filter they send, and the store
explains each one (SQLite's query plan). A plan that reads a whole table of documents fails
the test: the embedded store answers ``$or`` over two fields, or ``$in`` on a field other than
``_id``, that way, and a work list per case once cost 4 s of store CPU at 10,000 stored cases."""

from datetime import datetime, timezone

import eventlet
import pymongo
from nameko.testing.services import entrypoint_waiter, restrict_entrypoints
from pymongo import monitoring

from services.approval.service import ApprovalService
from services.common.workdays import load_hall_calendar
from services.intake.service import IntakeService
from services.monitor.service import MonitorService
from services.queue import setup, tickets
from services.queue.service import QueueService
from tests.integration.queue.conftest import REPO_ROOT, call

FOOD_LICENCE = {
    "item_code": "MR-003",
    "applicant": {"kind": "company", "name": "榆林市塞上食品有限公司", "credit_code": "91350100M000100Y43"},
    "materials": ["application_form", "business_license", "premises_layout", "safety_rules"],
}
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
REVIEWER = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
STEPS = (("accept", CLERK, {"intake_decision": "accept"}), ("review", REVIEWER, {"review_result": "pass"}))
APPROVAL_ENTRYPOINTS = ("on_case_submitted", "work_list", "get_task", "complete_task", "case_progress")
INTAKE_ENTRYPOINTS = ("submit_case", "get_public_case", "on_process_completed", "on_case_accepted", "on_case_decided")
MONITOR_ENTRYPOINTS = (
    "on_case_submitted",
    "on_case_accepted",
    "on_case_decided",
    "refresh_gauges",
    "list_warnings",
    "statistics",
)
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # 10:00 in the hall, a working day
SUPERVISOR = {"username": "supervisor", "roles": ["supervisor"], "department": None}
# Collections that hold the hall's configuration or what is happening now, whose size does not
# grow with the cases and tickets of the past: a scan of them costs what they hold.
CONFIGURATION = {
    "process_definitions": "one document per deployed version of a diagram",
    "staff": "one document per member of the hall's staff",
    "categories": "the queue's categories",
    "windows": "the hall's windows",
    "waiting": "the tickets waiting now: a called ticket leaves it",
}


class Queries(monitoring.CommandListener):
    """``(database, collection, filter)`` of every query sent while recording."""

    def __init__(self):
        self.seen = None

    def started(self, event):
        if self.seen is None:
            return
        command, name = event.command, event.command_name
        filters = {
            "find": lambda: [command.get("filter", {})],
            "count": lambda: [command.get("query", {})],
            "findAndModify": lambda: [command.get("query", {})],
            "update": lambda: [update["q"] for update in command.get("updates", ())],
            "delete": lambda: [delete["q"] for delete in command.get("deletes", ())],
        }.get(name)
        if filters is not None:
            self.seen += [(event.database_name, command[name], query) for query in filters()]

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


QUERIES = Queries()
monitoring.register(QUERIES)  # at collection, before any client of the test session exists


def whole_table_reads(mongo_uri, queries):
    """The queries whose plan reads every document of their collection, with the plan."""
    client = pymongo.MongoClient(mongo_uri)
    try:
        found = []
        for database, collection, query in queries:
            plan = client[database].command("explain", {"find": collection, "filter": query})
            steps = [step["detail"] for step in plan["queryPlanner"]["winningPlan"]]
            if f"SCAN {collection}" in steps and collection not in CONFIGURATION:
                found.append((database, collection, query, steps))
        return found
    finally:
        client.close()


def test_a_case_from_the_kiosk_to_its_decision_reads_nothing_whole(container_factory, service_config, clean_databases):
    approval = container_factory(ApprovalService, service_config)
    restrict_entrypoints(approval, *APPROVAL_ENTRYPOINTS)
    intake = container_factory(IntakeService, service_config)
    restrict_entrypoints(intake, *INTAKE_ENTRYPOINTS)
    monitor = container_factory(MonitorService, service_config)
    restrict_entrypoints(monitor, *MONITOR_ENTRYPOINTS)
    for container in (approval, intake, monitor):
        container.start()
    QUERIES.seen = []
    try:
        with entrypoint_waiter(approval, "on_case_submitted"), entrypoint_waiter(monitor, "on_case_submitted"):
            receipt = call(intake, "submit_case", FOOD_LICENCE)
        case_no = receipt["case_no"]
        for element_id, user, data in STEPS:
            [task] = call(approval, "work_list", user, {"case_no": case_no})["tasks"]
            assert task["element_id"] == element_id
            call(approval, "get_task", task["id"], user)
            call(approval, "complete_task", task["id"], data, user)
            call(intake, "get_public_case", case_no, receipt["query_code"])
        [decide] = call(approval, "work_list", CHIEF, {"case_no": case_no})["tasks"]
        with entrypoint_waiter(intake, "on_process_completed"), entrypoint_waiter(monitor, "on_case_decided"):
            call(approval, "complete_task", decide["id"], {"decision": "approved"}, CHIEF)
        eventlet.sleep(0.5)  # anything that would still come
        shown = call(intake, "get_public_case", case_no, receipt["query_code"])
        call(monitor, "refresh_gauges")  # the open cases' gauges, every 15 s
        call(monitor, "list_warnings", SUPERVISOR)
        statistics = call(monitor, "statistics")
    finally:
        queries, QUERIES.seen = QUERIES.seen, None

    assert (shown["status"], shown["outcome"]) == ("completed", "approved")
    assert statistics["hall"]["submitted"] == 1
    assert {collection for _, collection, _ in queries} >= {"process_instances", "cases", "timers"}
    found = whole_table_reads(service_config["MONGO_URI"], queries)
    assert found == []


def test_a_ticket_from_the_kiosk_to_its_window_reads_nothing_whole(container_factory, service_config, clean_databases):
    config = dict(
        service_config,
        QUEUE_SETUP_FILE=str(REPO_ROOT / "hall" / "queue.yaml"),
        HALL_CALENDAR_FILE=str(REPO_ROOT / "hall" / "calendar.yaml"),
    )
    queue = container_factory(QueueService, config)
    queue.start()
    desk = tickets.Tickets(setup.Hall(load_hall_calendar(config["HALL_CALENDAR_FILE"])))
    now = NOW
    QUERIES.seen = []
    try:
        for category in ("A", "A", "B"):
            desk.issue(now, category=category)
        called = call(queue, "call_next", 1)
        call(queue, "start_service", 1)
        call(queue, "link_case", called["ticket_id"], "20261126000001")
        call(queue, "finish_service", 1)
        call(queue, "recall", 1) if call(queue, "call_next", 1) else None
        board = call(queue, "get_board")
        call(queue, "calls_after", 0)
        call(queue, "get_stats")
        call(queue, "get_ticket", called["ticket_id"])
    finally:
        queries, QUERIES.seen = QUERIES.seen, None

    assert board and {collection for _, collection, _ in queries} >= {"tickets", "windows"}
    found = whole_table_reads(service_config["MONGO_URI"], queries)
    assert found == []
