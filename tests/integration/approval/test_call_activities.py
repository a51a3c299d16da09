"""Call activities that call a process deployed from another diagram, on the real broker and
store: resolved at the caller's deploy (the latest version then, or the one it pins), kept with
the caller's version, and refused naming the call activity when nothing deployed answers."""

import json
from pathlib import Path

import pytest
from nameko.testing.services import entrypoint_hook

from services.approval.definitions import DefinitionRegistry
from services.common.errors import InvalidInput

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "diagrams"
ADMIN = {"username": "admin", "roles": ["admin"], "department": "hall"}
REVIEWER = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
CALLER = (CORPUS / "camunda_call_activity.bpmn").read_text(encoding="utf-8")
CALLED = (CORPUS / "camunda_called_site_inspection.bpmn").read_text(encoding="utf-8")
CALLED_V2 = CALLED.replace("勘验 Inspect the site", "复勘 Inspect the site again")


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def start_case(container, case_no):
    call(
        container,
        "on_case_submitted",
        {
            "case_no": case_no,
            "item_code": "MR-001",
            "department": "market_regulation",
            "process_key": "building_permit",
        },
    )


def pinned(version):
    return CALLER.replace(
        'calledElement="site_inspection_shared"',
        f'calledElement="site_inspection_shared" camunda:calledElementBinding="version" '
        f'camunda:calledElementVersion="{version}"',
    )


def test_a_caller_deployed_after_the_process_it_calls_runs_a_case_through_both(approval):
    assert call(approval, "deploy_process", CALLED, "site_inspection.bpmn")["version"] == 1
    assert call(approval, "deploy_process", CALLER, "building_permit.bpmn")["version"] == 1
    start_case(approval, "20261127000501")

    [inspect] = call(approval, "list_tasks", REVIEWER)
    assert (inspect["element_id"], inspect["name"]) == ("Activity_inspect", "勘验 Inspect the site")
    with pytest.raises(InvalidInput):
        call(approval, "complete_task", inspect["id"], {}, REVIEWER)  # the called process's own form
    call(approval, "complete_task", inspect["id"], {"site_ok": True}, REVIEWER)
    [issue] = call(approval, "list_tasks", CHIEF)
    assert issue["element_id"] == "Activity_issue"
    call(approval, "complete_task", issue["id"], {}, CHIEF)
    assert call(approval, "get_case_process", "20261127000501", ADMIN)["status"] == "completed"


def test_a_deployed_caller_keeps_the_called_version_until_it_is_deployed_again(approval):
    call(approval, "deploy_process", CALLED, "site_inspection.bpmn")
    call(approval, "deploy_process", CALLER, "building_permit.bpmn")
    assert call(approval, "deploy_process", CALLED_V2, "site_inspection.bpmn")["version"] == 2

    start_case(approval, "20261127000502")
    assert [t["name"] for t in call(approval, "list_tasks", REVIEWER)] == ["勘验 Inspect the site"]
    # restored from the store, not from the deploying registry's cache
    assert (
        DefinitionRegistry()
        .diagram("building_permit", 1)
        .subprocess_specs["site_inspection_shared"]
        .task_specs["Activity_inspect"]
        .bpmn_name
        == "勘验 Inspect the site"
    )

    again = call(approval, "deploy_process", CALLER, "building_permit.bpmn")
    assert (again["version"], again["created"]) == (2, True)
    start_case(approval, "20261127000503")
    assert sorted(t["name"] for t in call(approval, "list_tasks", REVIEWER)) == [
        "勘验 Inspect the site",
        "复勘 Inspect the site again",
    ]


def test_a_caller_that_pins_a_version_calls_that_version(approval):
    call(approval, "deploy_process", CALLED, "site_inspection.bpmn")
    call(approval, "deploy_process", CALLED_V2, "site_inspection.bpmn")
    call(approval, "deploy_process", pinned(1), "building_permit.bpmn")
    start_case(approval, "20261127000504")
    assert [t["name"] for t in call(approval, "list_tasks", REVIEWER)] == ["勘验 Inspect the site"]


@pytest.mark.parametrize(
    ("xml", "missing"),
    [
        (CALLER, "the process 'site_inspection_shared'"),
        (pinned(3), "version 3 of the process 'site_inspection_shared'"),
    ],
)
def test_a_caller_whose_called_process_is_not_deployed_is_refused_naming_the_call_activity(approval, xml, missing):
    if "calledElementVersion" in xml:
        call(approval, "deploy_process", CALLED, "site_inspection.bpmn")
    for method in ("validate_process", "deploy_process"):
        with pytest.raises(InvalidInput) as refused:
            call(approval, method, xml, "building_permit.bpmn")
        [error] = refused.value.errors
        assert error["field"] == "Activity_inspection"
        assert missing in error["message"] and "not deployed" in error["message"]
    assert "building_permit" not in {process["key"] for process in call(approval, "list_processes")}


def test_a_spiff_arena_caller_pins_the_called_version_with_a_property(approval):
    called = (CORPUS / "spiff_called_hygiene_check.bpmn").read_text(encoding="utf-8")
    forms = {"kitchen-schema.json": json.loads((CORPUS / "kitchen-schema.json").read_text(encoding="utf-8"))}
    call(approval, "deploy_process", called, "hygiene_check.bpmn", forms=forms)
    call(
        approval,
        "deploy_process",
        called.replace("检查后厨 Inspect the kitchen", "复查后厨 Inspect the kitchen again"),
        "hygiene_check.bpmn",
        forms=forms,
    )
    caller = (
        (CORPUS / "spiff_call_activity.bpmn")
        .read_text(encoding="utf-8")
        .replace(
            'calledElement="hygiene_check_shared">',
            'calledElement="hygiene_check_shared"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="calledElementVersion" value="1" /></spiffworkflow:properties>'
            "</bpmn:extensionElements>",
        )
    )
    call(approval, "deploy_process", caller, "food_licence.bpmn")
    call(
        approval,
        "on_case_submitted",
        {
            "case_no": "20261127000505",
            "item_code": "MR-001",
            "department": "market_regulation",
            "process_key": "food_licence",
        },
    )
    [inspect] = call(approval, "list_tasks", REVIEWER)
    assert (inspect["element_id"], inspect["name"]) == ("Activity_inspect_kitchen", "检查后厨 Inspect the kitchen")
    call(approval, "complete_task", inspect["id"], {"kitchen_ok": True}, REVIEWER)
    [grant] = call(approval, "list_tasks", CHIEF)
    call(approval, "complete_task", grant["id"], {}, CHIEF)
    assert call(approval, "get_case_process", "20261127000505", ADMIN)["status"] == "completed"
