"""Instances stored by an earlier release, whose open tasks, task history and audit trail
lived in collections of their own (``open_tasks``, ``task_history``, ``audit_trail``): at
start-up each is given its open and done tasks, its history becomes one step record
(``<case>:earlier``), an outbox of the earlier shape becomes one pending step, and once all
are moved the old collections are dropped (so a later start finds nothing to do)."""

import json
import logging

from services.approval import bpmn_engine, models, roles, step_rules
from services.approval.instances import Instance, _store_records, task_keys
from services.approval.worklist import ON_THE_SPOT_BY
from services.common.db import collection_of
from services.common.fields import from_millis

log = logging.getLogger(__name__)

EARLIER_COLLECTIONS = ("open_tasks", "task_history", "audit_trail")
TASK_FIELDS = ("task_id", "element_id", "name", "role", "department", "assignee", "on_the_spot", "candidate_users")


def upgrade_stored_instances(definitions, now):
    instances = collection_of(models.ProcessInstance)
    database = instances.database
    if not set(EARLIER_COLLECTIONS) & set(database.list_collection_names()):
        return
    failed = 0
    for son in instances.find({"task_keys": {"$exists": False}}):
        try:
            _upgrade(database, definitions, Instance(son), now)
        except Exception:  # one broken instance must not stop the service; it stays for a person
            log.exception("the stored process of case %s could not be moved to the current shape", son["case_no"])
            failed += 1
    if not failed:
        for name in EARLIER_COLLECTIONS:
            database.drop_collection(name)


def _iso(millis):
    return from_millis(millis).isoformat()


def _upgrade(database, definitions, instance, now):
    case_no = instance.case_no
    history = sorted(database.task_history.find({"case_no": case_no}), key=lambda t: t["completed_at"])
    instance.done = [
        {key: t.get(key) for key in TASK_FIELDS}
        | {
            "completed_by": t["completed_by"],
            "completed_at": t["completed_at"],
            ON_THE_SPOT_BY: (t.get("data") or {}).get(ON_THE_SPOT_BY),
        }
        for t in history
    ]
    instance.open_tasks = [
        {"task_id": t["task_id"], "created_at": t["created_at"]} for t in database.open_tasks.find({"case_no": case_no})
    ]
    diagram = definitions.diagram(instance.process_key, instance.process_version)
    instance.open_tasks = step_rules.open_tasks(
        instance,
        bpmn_engine.open_user_tasks(bpmn_engine.load_state(diagram, instance.state)),
        roles.mapping_of(instance.process_key),
        now,
    )
    audit = [
        {key: value for key, value in entry.items() if key != "_id"} | {"at": _iso(entry["at"])}
        for entry in database.audit_trail.find({"case_no": case_no})
    ]
    tasks = [
        {key: value for key, value in t.items() if key != "_id"} | {"completed_at": _iso(t["completed_at"])}
        for t in history
    ]
    _store_records(
        [
            step_rules.record(
                case_no,
                {
                    "key": f"{case_no}:earlier",
                    "at": _iso(instance.started_at),
                    "audit": audit,
                    "tasks": tasks,
                    "events": [],
                },
            )
        ]
    )
    outbox = instance.outbox
    if instance.outbox_pending and outbox:  # {"audit", "events", "answers"} of the latest step
        outbox = step_rules.Outbox(
            [dict(json.loads(outbox), rev=instance.rev, at=_iso(instance.updated_at), tasks=[])]
        ).dumps()
    collection_of(models.ProcessInstance).update_one(
        {"_id": instance.pk},
        {
            "$set": {
                "open_tasks": instance.open_tasks,
                "done": instance.done,
                "task_keys": task_keys(instance.open_tasks, instance.done),
                "outbox": outbox,
            }
        },
    )
