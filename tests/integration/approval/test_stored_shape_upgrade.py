"""Instances stored by the release before (open tasks, task history and audit trail in
collections of their own) are moved to the current shape when the service starts: their
tasks are in work lists again, with their age, their history in the process view, and the
old collections are gone."""

from services.approval import models
from services.approval.service import open_processes
from services.approval.upgrade import EARLIER_COLLECTIONS
from services.common.db import collection_of
from services.common.fields import to_millis
from services.common.time import utcnow
from tests.integration.approval.test_process_lifecycle import CHIEF, CLERK, call, start_case, task


def as_stored_before(case_no, created_at):
    """The instance as the release before stored it, its open task and audit entry beside it."""
    instances = collection_of(models.ProcessInstance)
    stored = instances.find_one({"case_no": case_no})
    [open_task] = stored["open_tasks"]
    instances.update_one(
        {"_id": stored["_id"]},
        {"$unset": {"open_tasks": "", "done": "", "task_keys": ""}, "$set": {"outbox": "", "outbox_pending": False}},
    )
    database = instances.database
    database.open_tasks.insert_one(dict(open_task, created_at=to_millis(created_at)))
    database.audit_trail.insert_one(
        {
            "case_no": case_no,
            "at": stored["started_at"],
            "kind": "started",
            "actor": "system",
            "data": {},
            "rev": 1,
            "key": f"{case_no}:1:0",
        }
    )
    collection_of(models.Step).delete_many({"case_no": case_no})
    return open_task["task_id"]


def test_an_instance_stored_before_is_found_worked_on_and_shown_after_the_upgrade(approval, service_config):
    start_case(approval, "20261126000901")
    created_at = utcnow().replace(year=2025, microsecond=0)
    task_id = as_stored_before("20261126000901", created_at)
    assert call(approval, "list_tasks", CLERK) == []

    open_processes(service_config)  # a replica starting

    [listed] = call(approval, "list_tasks", CLERK)
    assert (listed["id"], listed["created_at"]) == (task_id, created_at.isoformat())
    call(approval, "complete_task", task_id, {"intake_decision": "accept"}, CLERK)
    assert task(approval, CHIEF, "20261126000901")["element_id"] == "decide"
    audit = call(approval, "get_case_process", "20261126000901", CLERK)["audit"]
    assert [e["kind"] for e in audit] == ["started", "task_completed"]
    assert not set(EARLIER_COLLECTIONS) & set(collection_of(models.Step).database.list_collection_names())
