"""Roles a designer's diagram names, on the real broker and store: a Camunda diagram with
lanes "Clerk" and "Manager" deploys with them as findings, its cases wait at their start
until they are mapped and then run through the mapped roles' work lists; a task that no
member of staff can do is an incident, which an admin's retry clears once someone can."""

from pathlib import Path

import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common.errors import Conflict, InvalidInput

LANES = (Path(__file__).resolve().parents[2] / "fixtures" / "camunda_lanes_clerk_manager.bpmn").read_text(
    encoding="utf-8"
)
IMMEDIATE_ITEM = (Path(__file__).resolve().parents[3] / "bpmn" / "immediate_item.bpmn").read_text(encoding="utf-8")
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
TAX_CHIEF = {"username": "tax_chief", "roles": ["chief"], "department": "taxation"}
DESIGNER = {"username": "designer", "roles": ["designer"], "department": "hall"}
ADMIN = {"username": "admin", "roles": ["admin"], "department": "hall"}
ROSTER = [
    {"username": u["username"], "roles": u["roles"], "department": u["department"]}
    for u in (CLERK, CHIEF, TAX_CHIEF, DESIGNER, ADMIN)
]
MAPPING = [
    {"diagram_role": "Clerk", "role": "clerk"},
    {"diagram_role": "Manager", "role": "chief", "department": "market_regulation"},
]


class Progress:
    """Stands in for intake: records the approval service's ``case_progressed``."""

    name = "test_role_mapping_progress"
    received = []

    @event_handler("approval", "case_progressed")
    def on_case_progressed(self, payload):
        self.received.append(payload)


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def submit(container, case_no, process_key, department="market_regulation"):
    call(
        container,
        "on_case_submitted",
        {"case_no": case_no, "item_code": "MR-001", "department": department, "process_key": process_key},
    )


def tasks_of(container, user, case_no):
    return [t for t in call(container, "list_tasks", user) if t["case_no"] == case_no]


def test_a_diagram_with_roles_the_hall_does_not_know_runs_once_they_are_mapped(approval, start_listener):
    Progress.received = []
    listener = start_listener(Progress)
    call(approval, "sync_staff", ROSTER, complete=True)
    deployed = call(approval, "deploy_process", LANES, "signboard_permit.bpmn")
    assert (deployed["roles"], deployed["unmapped_roles"]) == (["Clerk", "Manager"], ["Clerk", "Manager"])

    submit(approval, "20261203000101", "signboard_permit")
    held = call(approval, "get_case_process", "20261203000101", ADMIN)
    assert (held["status"], held["incident"]["kind"]) == ("incident", "unmapped_roles")
    assert "Clerk, Manager" in held["incident"]["message"]
    assert tasks_of(approval, CLERK, "20261203000101") == []

    mapped = call(approval, "set_role_mapping", "signboard_permit", MAPPING, 0, DESIGNER)
    assert (mapped["unmapped_roles"], mapped["rev"]) == ([], 1)
    assert mapped["history"][0]["by"] == "designer" and mapped["history"][0]["after"][1]["role"] == "chief"
    assert call(approval, "deploy_process", LANES, "signboard_permit.bpmn")["unmapped_roles"] == []

    (check,) = tasks_of(approval, CLERK, "20261203000101")
    assert (check["name"], check["role"], check["department"]) == ("核对材料 Check the papers", "clerk", "hall")
    call(approval, "complete_task", check["id"], {"papers_ok": True}, CLERK)
    (approve,) = tasks_of(approval, CHIEF, "20261203000101")
    assert (approve["role"], approve["department"]) == ("chief", "market_regulation")

    # The mapping changes: the open task follows it at once.
    call(
        approval,
        "set_role_mapping",
        "signboard_permit",
        [MAPPING[0], dict(MAPPING[1], department="taxation")],
        1,
        DESIGNER,
    )
    assert tasks_of(approval, CHIEF, "20261203000101") == []
    (approve,) = tasks_of(approval, TAX_CHIEF, "20261203000101")
    with entrypoint_waiter(
        listener,
        "on_case_progressed",
        callback=lambda worker_ctx, result, exc_info: Progress.received[-1]["status"] == "completed",
    ):
        done = call(approval, "complete_task", approve["id"], {"granted": True}, TAX_CHIEF)
    assert done["case_status"] == "completed"
    ended = Progress.received[-1]  # in words: the end event's outcome label, never its id
    assert (ended["outcome"], ended["outcome_label"], ended["current_step"]) == (None, "准予许可 Permit granted", None)


def test_a_mapping_is_checked_and_guarded_by_its_revision(approval):
    call(approval, "deploy_process", LANES, "signboard_permit.bpmn")
    with pytest.raises(InvalidInput):
        call(
            approval, "set_role_mapping", "signboard_permit", [{"diagram_role": "Manager", "role": "boss"}], 0, DESIGNER
        )
    call(approval, "set_role_mapping", "signboard_permit", MAPPING, 0, DESIGNER)
    with pytest.raises(Conflict):
        call(approval, "set_role_mapping", "signboard_permit", MAPPING[:1], 0, DESIGNER)


def test_a_task_no_member_of_staff_can_do_is_an_incident_until_someone_can(approval):
    call(approval, "sync_staff", [m for m in ROSTER if m["username"] != "chief"], complete=True)
    submit(approval, "20261203000102", "immediate_item")
    (accept,) = tasks_of(approval, CLERK, "20261203000102")
    call(approval, "complete_task", accept["id"], {"intake_decision": "accept"}, CLERK)
    held = call(approval, "get_case_process", "20261203000102", ADMIN)
    assert (held["status"], held["incident"]["element_id"], held["incident"]["kind"]) == (
        "incident",
        "decide",
        "no_one",
    )
    assert "chief of market_regulation" in held["incident"]["message"]
    assert held["open_tasks"] == []
    (listed,) = call(approval, "list_incidents")
    assert (listed["case_no"], listed["incident"]["kind"]) == ("20261203000102", "no_one")

    call(approval, "sync_staff", [ROSTER[1]])  # a chief joins the department
    call(approval, "retry_case_process", "20261203000102", {}, ADMIN)
    (decide,) = tasks_of(approval, CHIEF, "20261203000102")
    assert decide["element_id"] == "decide"
    assert call(approval, "list_incidents") == []


def test_without_a_roster_from_the_gateway_tasks_of_hall_roles_open_as_before(approval):
    submit(approval, "20261203000103", "immediate_item")
    assert [t["element_id"] for t in tasks_of(approval, CLERK, "20261203000103")] == ["accept"]
