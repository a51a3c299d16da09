"""The approval's outbox on the real broker and store: a step is two writes, the instance's
compare-and-set and its step record. A replica that stops between them (after saving, before
dispatching or before storing the record) loses nothing and does nothing twice: the events
still reach the hall, through the next step of the instance or through the sweep, the record
is stored once, the task stays completed once, and the sweep empties the outboxes whose
records are stored."""

import json
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_waiter
from pymongo.errors import AutoReconnect

from services.approval import instances, models
from services.approval.service import OUTBOX_GRACE, open_processes
from services.common import time as platform_time
from services.common.errors import Conflict
from services.common.time import utcnow
from tests.integration.approval.test_process_lifecycle import (
    CHIEF,
    CLERK,
    HallEvents,
    call,
    start_case,
    task,
)


@pytest.fixture
def listener(start_listener):
    HallEvents.received = []
    return start_listener(HallEvents)


@pytest.fixture
def stopped_replica(approval, service_config):
    """A second replica's domain that saves steps and then stops before dispatching."""
    return open_processes(service_config)


def instance(case_no):
    return models.ProcessInstance.objects(case_no=case_no).first()


def records(case_no):
    """The step records of the case: revision -> (audit kinds, completed tasks)."""
    found = {}
    for record in models.Step.objects(case_no=case_no):
        body = json.loads(record.body)
        found[record.rev] = ([e["kind"] for e in body["audit"]], [t["element_id"] for t in body["tasks"]])
    return found


def completions(case_no):
    return [element for _, (_, tasks) in sorted(records(case_no).items()) for element in tasks]


def accept_and_stop(approval, replica, case_no):
    """The clerk accepts the case on a replica that stops right after saving."""
    replica.complete(task(approval, CLERK, case_no)["id"], {"intake_decision": "accept"}, CLERK, utcnow())
    assert instance(case_no).outbox_pending is True
    assert HallEvents.about(case_no) == []
    assert 2 not in records(case_no)


def after_the_grace(monkeypatch):
    monkeypatch.setattr(platform_time, "_offset", OUTBOX_GRACE + timedelta(seconds=1))


def test_the_sweep_announces_what_a_stopped_replica_saved_and_then_empties_the_outbox(
    approval, listener, stopped_replica, monkeypatch
):
    start_case(approval, "20261126000701")
    assert records("20261126000701") == {1: (["started"], [])}  # dispatched at once, then recorded
    accept_and_stop(approval, stopped_replica, "20261126000701")
    assert [t["element_id"] for t in call(approval, "list_tasks", CHIEF)] == ["decide"]  # saved with the state

    call(approval, "announce_unannounced")  # within the grace: the replica may still dispatch
    assert HallEvents.about("20261126000701") == []

    after_the_grace(monkeypatch)
    with entrypoint_waiter(listener, "on_case_accepted"):
        call(approval, "announce_unannounced")
    assert [name for name, _ in HallEvents.about("20261126000701")] == ["case_accepted"]
    assert records("20261126000701")[2] == (["task_completed"], ["accept"])
    call(approval, "announce_unannounced")  # every record is stored now: the outbox is emptied
    assert (instance("20261126000701").outbox_pending, instance("20261126000701").outbox) == (False, "")
    assert stopped_replica.unannounced(utcnow(), utcnow()) == []


def test_a_replica_that_stops_between_the_two_writes_loses_nothing_and_does_nothing_twice(
    approval, listener, monkeypatch
):
    """The service saves the step, answers, dispatches its events (after the answer), then
    loses the store before the step record: the answer stands, the sweep stores the record."""
    start_case(approval, "20261126000703")
    accept_id = task(approval, CLERK, "20261126000703")["id"]
    store_records = instances._store_records

    def stop_once(found):
        monkeypatch.setattr(instances, "_store_records", store_records)
        raise AutoReconnect("the store is gone")

    monkeypatch.setattr(instances, "_store_records", stop_once)
    with entrypoint_waiter(listener, "on_case_accepted"):
        answer = call(approval, "complete_task", accept_id, {"intake_decision": "accept"}, CLERK)
    assert answer["completed"] is True
    assert 2 not in records("20261126000703")
    assert task(approval, CHIEF, "20261126000703")["element_id"] == "decide"

    after_the_grace(monkeypatch)
    call(approval, "announce_unannounced")
    call(approval, "announce_unannounced")
    assert completions("20261126000703") == ["accept"]
    assert records("20261126000703")[2] == (["task_completed"], ["accept"])
    with pytest.raises(Conflict, match="already completed by clerk"):
        call(approval, "complete_task", accept_id, {"intake_decision": "accept"}, CLERK)
    assert instance("20261126000703").rev == 2
    assert [t["element_id"] for t in call(approval, "list_tasks", CLERK) if t["case_no"] == "20261126000703"] == []
    assert instance("20261126000703").outbox_pending is False


def test_the_next_step_carries_the_events_a_stopped_replica_left(approval, listener, stopped_replica):
    start_case(approval, "20261126000702")
    accept_and_stop(approval, stopped_replica, "20261126000702")

    with entrypoint_waiter(listener, "on_case_decided"):
        call(approval, "complete_task", task(approval, CHIEF, "20261126000702")["id"], {"decision": "approved"}, CHIEF)
    assert [name for name, _ in HallEvents.about("20261126000702")] == ["case_accepted", "case_decided"]
    assert completions("20261126000702") == ["accept", "decide"]


def test_the_sweep_needs_no_runnable_process_to_finish_a_step(approval, listener, stopped_replica, monkeypatch):
    start_case(approval, "20261126000705")
    accept_and_stop(approval, stopped_replica, "20261126000705")
    models.ProcessInstance.objects(case_no="20261126000705").update_one(set__process_version=99)  # unrunnable

    after_the_grace(monkeypatch)
    with entrypoint_waiter(listener, "on_case_accepted"):
        call(approval, "announce_unannounced")
    assert [name for name, _ in HallEvents.about("20261126000705")] == ["case_accepted"]
    assert completions("20261126000705") == ["accept"]
