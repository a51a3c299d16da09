"""Timers on the real broker and store: the durable scheduler fires each timer once, also with
two replicas, after a restart, and when an admin moves the platform clock forward.

The fixture diagram waits on an intermediate timer (PT1S), then opens a review whose boundary
timer (PT1S) escalates it to the chief. Tests wait for the effect (the chief's task), never
assert a duration."""

from datetime import timedelta
from pathlib import Path

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from services.approval import models
from services.approval.service import ApprovalService
from services.common import time as platform_time

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ADMIN = {"username": "admin", "roles": ["admin"], "department": "hall"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
REVIEWER = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}
WAIT_SECONDS = 20


def call(container, method, *args):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args)


def deploy(container, filename):
    call(container, "deploy_process", (FIXTURES / filename).read_text(encoding="utf-8"), filename)


def start_case(container, case_no, process_key="timer_escalation"):
    call(
        container,
        "on_case_submitted",
        {"case_no": case_no, "item_code": "MR-001", "department": "market_regulation", "process_key": process_key},
    )


def wait_for_task(container, user, element_id):
    for _ in range(WAIT_SECONDS * 10):
        tasks = [t for t in call(container, "list_tasks", user) if t["element_id"] == element_id]
        if tasks:
            return tasks
        eventlet.sleep(0.1)
    pytest.fail(f"no {element_id} task appeared")


def timer_firings(container, case_no):
    audit = call(container, "get_case_process", case_no, ADMIN)["audit"]
    return sorted(entry["element_id"] for entry in audit if entry["kind"] == "timer_fired")


@pytest.fixture
def approval(container_factory, service_config, clean_databases):
    container = container_factory(ApprovalService, service_config)
    container.start()
    deploy(container, "timer_escalation.bpmn")
    return container


def test_an_intermediate_and_a_boundary_timer_each_fire_once(approval):
    start_case(approval, "20261126000301")
    assert call(approval, "get_case_process", "20261126000301", ADMIN)["open_tasks"] == []

    wait_for_task(approval, CHIEF, "decide_escalated")

    assert timer_firings(approval, "20261126000301") == ["cooling_off", "review_overdue"]
    assert call(approval, "list_tasks", REVIEWER) == []  # the boundary timer interrupted the review
    assert models.PendingTimer.objects(case_no="20261126000301").first() is None


def test_pending_timers_fire_after_a_restart(container_factory, service_config, clean_databases):
    first = container_factory(ApprovalService, service_config)
    first.start()
    deploy(first, "timer_escalation.bpmn")
    start_case(first, "20261126000302")
    first.stop()
    eventlet.sleep(1.5)  # the cooling-off timer falls due while no service runs

    restarted = container_factory(ApprovalService, service_config)
    restarted.start()

    wait_for_task(restarted, CHIEF, "decide_escalated")
    assert timer_firings(restarted, "20261126000302") == ["cooling_off", "review_overdue"]


def test_two_replicas_racing_for_the_same_due_timers_fire_each_once(container_factory, service_config, clean_databases):
    first = container_factory(ApprovalService, service_config)
    first.start()
    deploy(first, "timer_escalation.bpmn")
    for number in range(303, 308):
        start_case(first, f"20261126000{number}")
    first.stop()
    eventlet.sleep(1.5)  # every case's timer is overdue: both replicas find them at start

    replicas = [container_factory(ApprovalService, service_config) for _ in range(2)]
    for replica in replicas:
        replica.start()

    for _ in range(WAIT_SECONDS * 10):
        if len(call(replicas[0], "list_tasks", CHIEF)) == 5:
            break
        eventlet.sleep(0.1)
    for number in range(303, 308):
        assert timer_firings(replicas[1], f"20261126000{number}") == ["cooling_off", "review_overdue"]


def test_moving_the_platform_clock_fires_the_timers_that_became_due(approval):
    deploy(approval, "workday_reminder.bpmn")
    start_case(approval, "20261126000308", "workday_reminder")
    pending = models.ProcessInstance.objects(case_no="20261126000308").first().next_timer_at
    assert pending > platform_time.utcnow() + timedelta(hours=1)  # at least the rest of a working day

    try:
        call(
            approval,
            "on_clock_set",
            {"offset_ms": int((pending - platform_time.utcnow()).total_seconds() * 1000) + 1000},
        )
        wait_for_task(approval, REVIEWER, "follow_up")
    finally:
        platform_time.set_clock_offset(timedelta(0))
    assert timer_firings(approval, "20261126000308") == ["one_workday"]
