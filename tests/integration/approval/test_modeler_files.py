"""Diagrams as the modelers in the field save them, deployed and run on the real broker and
store: one from Camunda Modeler 5 (`camunda:` candidate groups, assignee, form fields with enum
values and a required constraint, due dates, a bare `PT5S` timer) and one from spiff-arena
(`spiffworkflow:` properties naming form JSON schema files, roles by lane)."""

import json
from pathlib import Path

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from services.common.errors import InvalidInput, NotFound

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ADMIN = {"username": "admin", "roles": ["admin"], "department": "hall"}
REVIEWER = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}
CHIEF = {"username": "chief", "roles": ["chief"], "department": "market_regulation"}
OTHER_CHIEF = {"username": "deputy_chief", "roles": ["chief"], "department": "market_regulation"}


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def start_case(container, case_no, process_key):
    call(
        container,
        "on_case_submitted",
        {"case_no": case_no, "item_code": "MR-001", "department": "market_regulation", "process_key": process_key},
    )


def spiff_forms():
    return {
        name: json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        for name in ("review-schema.json", "sign-schema.json")
    }


def test_a_camunda_modeler_5_diagram_deploys_and_runs_with_its_forms_assignee_and_timer(approval):
    xml = (FIXTURES / "camunda_modeler_review.bpmn").read_text(encoding="utf-8")
    assert call(approval, "deploy_process", xml, "camunda_modeler_review.bpmn")["version"] == 1
    start_case(approval, "20261126000401", "camunda_modeler_review")

    [review] = call(approval, "list_tasks", REVIEWER)
    assert (review["element_id"], review["due_at"]) == ("Activity_review", "2030-06-28T09:00:00+00:00")
    plain = {"readonly": False, "constraints": {}, "default": None}
    assert review["form"] == [
        {
            "id": "verdict",
            "label": "审查结论 Verdict",
            "type": "enum",
            "required": True,
            "options": [{"id": "pass", "name": "通过 Pass"}, {"id": "fail", "name": "不通过 Fail"}],
            **plain,
        },
        {"id": "pages", "label": "页数 Pages checked", "type": "long", "required": False, "options": [], **plain},
        {
            "id": "site_visit",
            "label": "现场核查 Site visit",
            "type": "boolean",
            "required": False,
            "options": [],
            **plain,
        },
        {"id": "comment", "label": "意见 Comment", "type": "string", "required": False, "options": [], **plain},
    ]
    with pytest.raises(InvalidInput) as refused:
        call(approval, "complete_task", review["id"], {"verdict": "maybe", "pages": "ten"}, REVIEWER)
    assert {e["field"] for e in refused.value.errors} == {"verdict", "pages"}

    for _ in range(150):  # the non-interrupting PT5S reminder fires while the review stays open
        audit = call(approval, "get_case_process", "20261126000401", ADMIN)["audit"]
        if any(entry["kind"] == "timer_fired" for entry in audit):
            break
        eventlet.sleep(0.1)
    assert [e["element_id"] for e in audit if e["kind"] == "timer_fired"] == ["Event_reminder"]
    assert [t["id"] for t in call(approval, "list_tasks", REVIEWER)] == [review["id"]]

    call(approval, "complete_task", review["id"], {"verdict": "pass", "pages": 12, "site_visit": True}, REVIEWER)
    assert call(approval, "list_tasks", OTHER_CHIEF) == []  # camunda:assignee="chief"
    [sign] = call(approval, "list_tasks", CHIEF)
    assert (sign["element_id"], sign["assignee"]) == ("Activity_sign", "chief")
    with pytest.raises(NotFound):
        call(approval, "complete_task", sign["id"], {}, OTHER_CHIEF)
    call(approval, "complete_task", sign["id"], {}, CHIEF)
    assert call(approval, "get_case_process", "20261126000401", ADMIN)["status"] == "completed"


def test_a_spiff_arena_diagram_deploys_with_its_form_schemas_and_runs_to_its_end(approval):
    xml = (FIXTURES / "spiff_arena_review.bpmn").read_text(encoding="utf-8")
    deployed = call(approval, "deploy_process", xml, "spiff_arena_review.bpmn", forms=spiff_forms())
    assert (deployed["key"], deployed["version"]) == ("spiff_arena_review", 1)
    start_case(approval, "20261126000402", "spiff_arena_review")

    [review] = call(approval, "list_tasks", REVIEWER)
    assert (review["role"], review["department"]) == ("reviewer", "market_regulation")
    assert [(f["id"], f["label"], f["type"], f["required"]) for f in review["form"]] == [
        ("verdict", "审查结论 Verdict", "enum", True),
        ("pages", "页数 Pages checked", "long", True),
        ("urgent", "加急 Urgent", "boolean", False),
        ("comment", "意见 Comment", "string", False),
    ]
    assert review["form"][0]["options"] == [{"id": "pass", "name": "通过 Pass"}, {"id": "fail", "name": "不通过 Fail"}]
    with pytest.raises(InvalidInput) as refused:
        call(approval, "complete_task", review["id"], {"verdict": "pass"}, REVIEWER)
    assert refused.value.errors == [{"field": "pages", "message": "is required"}]

    call(approval, "complete_task", review["id"], {"verdict": "pass", "pages": 7}, REVIEWER)
    [sign] = call(approval, "list_tasks", CHIEF)  # the script task scored 14, the gateway chose signing
    call(approval, "complete_task", sign["id"], {"signed": "yes"}, CHIEF)
    process = call(approval, "get_case_process", "20261126000402", ADMIN)
    assert process["status"] == "completed"


def test_a_spiff_arena_diagram_without_its_form_schema_is_refused_naming_the_task(approval):
    xml = (FIXTURES / "spiff_arena_review.bpmn").read_text(encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        call(
            approval,
            "deploy_process",
            xml,
            "spiff_arena_review.bpmn",
            forms={"review-schema.json": spiff_forms()["review-schema.json"]},
        )
    assert refused.value.errors[0]["field"] == "Activity_sign"
    assert "sign-schema.json" in refused.value.errors[0]["message"]
