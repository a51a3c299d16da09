"""A task completion costs the approval service at most three store commands, whatever the
step: find the instance by the task, save it with a compare-and-set, store the step record
(its audit entries, task history and events). Counted with pymongo's command monitoring on
every collection the approval service's documents use."""

import pytest
from pymongo import MongoClient, monitoring

from services.approval import models
from services.common.db import collection_of, database_name
from tests.integration.approval.test_process_lifecycle import CHIEF, CLERK, call, start_case, task

MAX_COMMANDS = 3
STORE_COMMANDS = {"find", "insert", "update", "delete", "findAndModify", "aggregate", "count", "getMore", "distinct"}
ONE_STEP = [("find", "process_instances"), ("update", "process_instances"), ("insert", "steps")]


class Commands(monitoring.CommandListener):
    def __init__(self):
        self.seen = []

    def started(self, event):
        if event.command_name in STORE_COMMANDS:
            self.seen.append((event.command_name, event.command[event.command_name]))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def commands(approval, service_config, monkeypatch):
    """The approval's documents sent through a client that counts their commands."""
    listener = Commands()
    client = MongoClient(
        service_config["MONGO_URI"], event_listeners=[listener], tz_aware=True, uuidRepresentation="standard"
    )
    database = client[database_name(service_config, "approval")]
    for model in (
        models.ProcessDefinition,
        models.ProcessInstance,
        models.PendingTimer,
        models.Message,
        models.Step,
        models.RoleMapping,
        models.StaffMember,
    ):
        monkeypatch.setattr(model, "_collection", database[collection_of(model).name])
    yield listener
    client.close()


def commands_of_completing(approval, commands, user, case_no, data):
    task_id = task(approval, user, case_no)["id"]
    commands.seen.clear()
    call(approval, "complete_task", task_id, data, user)
    return list(commands.seen)


def test_accepting_and_deciding_each_make_three_store_commands(approval, commands):
    start_case(approval, "20261126000801")

    accepted = commands_of_completing(approval, commands, CLERK, "20261126000801", {"intake_decision": "accept"})
    decided = commands_of_completing(approval, commands, CHIEF, "20261126000801", {"decision": "approved"})

    assert len(accepted) <= MAX_COMMANDS and len(decided) <= MAX_COMMANDS
    assert accepted == decided == ONE_STEP
    assert call(approval, "get_case_process", "20261126000801", CHIEF)["status"] == "completed"
