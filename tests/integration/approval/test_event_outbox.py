"""The approval's outbox on the real broker and store: the events of a step whose replica
stopped between saving and dispatching still reach the hall, through the next step of the
instance or through the sweep (which also stores the step's audit entries and brings the
open tasks up to date), nothing is stored twice, and a dispatched outbox is emptied."""
from datetime import timedelta

import pytest
from nameko.testing.services import entrypoint_waiter

from services.approval import instances, models
from services.approval.service import OUTBOX_GRACE, open_processes
from services.common import time as platform_time
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


def completions(case_no):
    return [e.element_id for e in models.AuditEntry.objects(case_no=case_no, kind="task_completed")]


def accept_and_stop(approval, replica, case_no):
    """The clerk accepts the case on a replica that stops right after saving."""
    replica.complete(task(approval, CLERK, case_no)["id"], {"intake_decision": "accept"}, CLERK, utcnow())
    assert instance(case_no).outbox_pending is True
    assert HallEvents.about(case_no) == []


def test_the_sweep_announces_what_a_stopped_replica_saved_and_empties_the_outbox(
        approval, listener, stopped_replica, monkeypatch):
    start_case(approval, "20261126000701")
    assert instance("20261126000701").outbox_pending is False  # dispatched at once, then emptied
    accept_and_stop(approval, stopped_replica, "20261126000701")

    call(approval, "announce_unannounced")  # within the grace: the replica may still dispatch
    assert instance("20261126000701").outbox_pending is True

    monkeypatch.setattr(platform_time, "_offset", OUTBOX_GRACE + timedelta(seconds=1))
    with entrypoint_waiter(listener, "on_case_accepted"):
        call(approval, "announce_unannounced")
    assert [name for name, _ in HallEvents.about("20261126000701")] == ["case_accepted"]
    assert completions("20261126000701") == ["accept"]  # stored by the replica, not again by the sweep
    assert (instance("20261126000701").outbox_pending, instance("20261126000701").outbox) == (False, "")
    assert stopped_replica.unannounced(utcnow(), utcnow()) == []


def test_the_sweep_finishes_the_step_of_a_replica_that_stopped_right_after_saving(
        approval, listener, stopped_replica, monkeypatch):
    start_case(approval, "20261126000703")
    store_audit = instances._store_audit

    def stop_once(entries):
        monkeypatch.setattr(instances, "_store_audit", store_audit)
        raise SystemExit("the replica stops")

    monkeypatch.setattr(instances, "_store_audit", stop_once)
    with pytest.raises(SystemExit):
        stopped_replica.complete(task(approval, CLERK, "20261126000703")["id"], {"intake_decision": "accept"},
                                 CLERK, utcnow())
    # Saved as accepted, but neither the audit trail nor the task list shows it yet.
    assert completions("20261126000703") == []
    assert [t["element_id"] for t in call(approval, "list_tasks", CLERK) if t["case_no"] == "20261126000703"] == [
        "accept"]

    monkeypatch.setattr(platform_time, "_offset", OUTBOX_GRACE + timedelta(seconds=1))
    with entrypoint_waiter(listener, "on_case_accepted"):
        call(approval, "announce_unannounced")
    assert completions("20261126000703") == ["accept"]
    assert [t for t in call(approval, "list_tasks", CLERK) if t["case_no"] == "20261126000703"] == []
    assert task(approval, CHIEF, "20261126000703")["element_id"] == "decide"


def test_the_next_step_carries_the_events_a_stopped_replica_left(approval, listener, stopped_replica):
    start_case(approval, "20261126000702")
    accept_and_stop(approval, stopped_replica, "20261126000702")

    with entrypoint_waiter(listener, "on_case_decided"):
        call(approval, "complete_task", task(approval, CHIEF, "20261126000702")["id"], {"decision": "approved"}, CHIEF)
    assert [name for name, _ in HallEvents.about("20261126000702")] == ["case_accepted", "case_decided"]
    assert completions("20261126000702") == ["accept", "decide"]
    assert instance("20261126000702").outbox_pending is False


def test_open_tasks_are_synced_again_when_another_step_saved_meanwhile(approval, stopped_replica, monkeypatch):
    start_case(approval, "20261126000704")
    synced = []

    def sync(instance, workflow, now):
        synced.append(instance.rev)
        if len(synced) == 1:  # another replica saves a step of the case meanwhile
            models.ProcessInstance.objects(case_no="20261126000704").update_one(inc__rev=1)

    monkeypatch.setattr(stopped_replica, "_sync_open_tasks", sync)
    stopped_replica.complete(task(approval, CLERK, "20261126000704")["id"], {"intake_decision": "accept"},
                             CLERK, utcnow())
    assert synced == [2, 3]  # the last sync is of the newest state


def test_the_sweep_goes_on_past_an_instance_it_cannot_finish(approval, listener, stopped_replica, monkeypatch):
    for case_no in ("20261126000705", "20261126000706"):
        start_case(approval, case_no)
        accept_and_stop(approval, stopped_replica, case_no)
    models.ProcessInstance.objects(case_no="20261126000705").update_one(set__process_version=99)  # unrunnable

    monkeypatch.setattr(platform_time, "_offset", OUTBOX_GRACE + timedelta(seconds=1))
    with entrypoint_waiter(listener, "on_case_accepted"):
        call(approval, "announce_unannounced")
    assert [name for name, _ in HallEvents.about("20261126000706")] == ["case_accepted"]
    assert instance("20261126000705").outbox_pending is True  # left for a person to look at


def test_an_audit_entry_that_cannot_be_stored_is_logged_and_the_others_are_stored(approval, caplog):
    entry = {"case_no": "20261126000707", "rev": 2, "at": utcnow().isoformat(), "kind": "retried",
             "actor": "admin", "request_id": None}
    instances._store_audit([dict(entry, key="20261126000707:2:0", data={"$where": "1"}),
                            dict(entry, key="20261126000707:2:1", data={"fixed": True})])
    assert [e.key for e in models.AuditEntry.objects(case_no="20261126000707")] == ["20261126000707:2:1"]
    assert "20261126000707:2:0" in caplog.text
