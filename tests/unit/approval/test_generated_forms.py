"""Camunda's generated forms and spiff-arena's JSON-schema forms as drawn: types,
constraints and default values reach the task, the service checks them, and what the
platform cannot honour is refused at deploy naming the element."""

import json
from pathlib import Path

import pytest

from services.approval import bpmn_engine
from services.approval.bpmn_engine import InvalidDiagram
from services.approval.forms import describe_field, validate_form_data
from services.common.errors import InvalidInput

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="module")
def form():
    diagram = bpmn_engine.parse_diagram((FIXTURES / "camunda_generated_form.bpmn").read_bytes())
    [task] = bpmn_engine.open_user_tasks(bpmn_engine.start(diagram, {}))
    return {field["id"]: field for field in task["form"]}


def errors_of(form, data):
    with pytest.raises(InvalidInput) as raised:
        validate_form_data(list(form.values()), data)
    return {error["field"]: error["message"] for error in raised.value.errors}


def test_every_camunda_field_type_and_constraint_reaches_the_task(form):
    assert form["inspector"] | {} == {
        "id": "inspector",
        "label": "核查人 Inspector",
        "type": "string",
        "required": True,
        "readonly": False,
        "options": [],
        "constraints": {"minlength": 2, "maxlength": 20},
        "default": None,
    }
    assert (form["area_m2"]["constraints"], form["area_m2"]["default"]) == ({"min": 1, "max": 100000}, 100)
    assert (form["hazards_found"]["type"], form["hazards_found"]["default"]) == ("boolean", False)
    assert (form["visit_date"]["type"], form["visit_date"]["required"]) == ("date", True)
    assert form["result"]["default"] == "pass" and [o["id"] for o in form["result"]["options"]] == ["pass", "rectify"]
    assert (form["checklist"]["readonly"], form["checklist"]["default"]) == (True, "GB-2024-01")


def test_fields_left_out_take_their_default_values(form):
    data = validate_form_data(list(form.values()), {"inspector": "王五", "visit_date": "2026-12-03"})
    assert data == {
        "inspector": "王五",
        "visit_date": "2026-12-03",
        "area_m2": 100,
        "hazards_found": False,
        "result": "pass",
        "checklist": "GB-2024-01",
    }


def test_each_constraint_is_checked_per_field(form):
    assert errors_of(form, {"inspector": "王", "visit_date": "2026-02-30", "area_m2": 0, "checklist": "mine"}) == {
        "inspector": "must be at least 2 characters",
        "visit_date": "must be a date written YYYY-MM-DD",
        "area_m2": "must be at least 1",
        "checklist": "is read-only",
    }
    assert errors_of(form, {"inspector": "王" * 21, "visit_date": "2026-12-03", "area_m2": 100001}) == {
        "inspector": "must be at most 20 characters",
        "area_m2": "must be at most 100000",
    }


def test_the_finished_task_carries_the_defaults_into_the_case_data():
    diagram = bpmn_engine.parse_diagram((FIXTURES / "camunda_generated_form.bpmn").read_bytes())
    workflow = bpmn_engine.start(diagram, {})
    [task] = bpmn_engine.open_user_tasks(workflow)
    data = validate_form_data(task["form"], {"inspector": "王五", "visit_date": "2026-12-03"})
    bpmn_engine.complete_task(workflow, task["id"], data)
    assert bpmn_engine.is_completed(workflow)
    assert bpmn_engine.workflow_data(workflow)["area_m2"] == 100


def with_field(field_xml):
    text = (FIXTURES / "camunda_generated_form.bpmn").read_text()
    return text.replace("<camunda:formData>", "<camunda:formData>" + field_xml).encode()


@pytest.mark.parametrize(
    ("field_xml", "reason"),
    [
        ('<camunda:formField id="photo" type="file" />', "type 'file' is not supported"),
        (
            '<camunda:formField id="code" type="string"><camunda:validation>'
            '<camunda:constraint name="validator" config="com.example.CodeValidator" /></camunda:validation>'
            "</camunda:formField>",
            "the constraint 'validator' is not supported",
        ),
        (
            '<camunda:formField id="n" type="long"><camunda:validation><camunda:constraint name="min" config="x" />'
            "</camunda:validation></camunda:formField>",
            "min must be a whole number",
        ),
        (
            '<camunda:formField id="flag" type="boolean"><camunda:validation>'
            '<camunda:constraint name="maxlength" config="3" /></camunda:validation></camunda:formField>',
            "'maxlength' does not apply to a boolean field",
        ),
        ('<camunda:formField id="n" type="long" defaultValue="many" />', "the default value 'many'"),
        ('<camunda:formField id="who" type="string" defaultValue="${initiator}" />', "must be a literal"),
        (
            '<camunda:formField id="pick" type="enum" defaultValue="maybe"><camunda:value id="yes" name="Yes" />'
            "</camunda:formField>",
            "must be one of yes",
        ),
    ],
)
def test_what_a_form_cannot_honour_is_refused_at_deploy_naming_the_task(field_xml, reason):
    with pytest.raises(InvalidDiagram) as refused:
        bpmn_engine.parse_diagram(with_field(field_xml))
    assert refused.value.element_id == "Activity_record"
    assert reason in str(refused.value)


def test_a_json_schema_form_keeps_its_formats_defaults_and_limits():
    schema = json.loads((FIXTURES / "review-schema.json").read_text())
    schema["required"].append("name")
    schema["properties"] |= {
        "name": {"type": "string", "title": "姓名", "minLength": 2, "maxLength": 8},
        "born": {"type": "string", "format": "date", "title": "出生日期"},
        "copies": {"type": "integer", "minimum": 1, "maximum": 5, "default": 1},
        "express": {"type": "boolean", "default": False},
        "office": {"type": "string", "default": "榆林", "readOnly": True},
    }
    forms = {"review-schema.json": schema, "sign-schema.json": json.loads((FIXTURES / "sign-schema.json").read_text())}
    diagram = bpmn_engine.parse_diagram((FIXTURES / "spiff_arena_review.bpmn").read_bytes(), forms=forms)
    [task] = bpmn_engine.open_user_tasks(bpmn_engine.start(diagram, {}))
    fields = {field["id"]: field for field in task["form"]}
    assert fields["name"]["constraints"] == {"minlength": 2, "maxlength": 8} and fields["name"]["required"]
    assert fields["born"]["type"] == "date"
    assert (fields["copies"]["default"], fields["copies"]["constraints"]) == (1, {"min": 1, "max": 5})
    assert fields["express"]["default"] is False
    assert fields["office"]["readonly"] and fields["office"]["default"] == "榆林"


def test_a_field_without_a_type_is_text():
    assert describe_field("note", None, None)["type"] == "string"


CORPUS = FIXTURES / "diagrams"
LINKED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="linked_form" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="to_t" sourceRef="start" targetRef="t" />
    <bpmn:userTask id="t" camunda:candidateGroups="reviewer" {link} />
    <bpmn:sequenceFlow id="to_end" sourceRef="t" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


def camunda_form(*components):
    return {"id": "f", "type": "default", "schemaVersion": 16, "components": list(components)}


def test_a_camunda_form_becomes_the_tasks_fields_with_its_rules():
    form = json.loads((CORPUS / "permit_review.form").read_text())
    form["components"].append(
        {
            "type": "group",
            "components": [
                {"type": "text", "text": "说明"},
                {"type": "textfield", "key": "office", "label": "窗口", "defaultValue": "A3", "disabled": True},
                {
                    "type": "select",
                    "key": "district",
                    "values": [{"label": "榆阳区", "value": "yuyang"}],
                    "validate": {"required": False},
                },
            ],
        }
    )
    diagram = bpmn_engine.parse_diagram(
        LINKED.format(link='camunda:formRef="permit_review_form"').encode(), forms={"permit_review.form": form}
    )
    [task] = bpmn_engine.open_user_tasks(bpmn_engine.start(diagram, {}))
    fields = {field["id"]: field for field in task["form"]}
    assert list(fields) == ["verdict", "pages", "comment", "office", "district"]
    assert fields["verdict"]["type"] == "enum" and fields["verdict"]["required"]
    assert fields["pages"]["constraints"] == {"min": 1, "max": 500}
    assert fields["comment"]["constraints"] == {"maxlength": 500}
    assert fields["office"]["readonly"] and fields["office"]["default"] == "A3"
    assert not fields["district"]["required"] and fields["district"]["options"] == [{"id": "yuyang", "name": "榆阳区"}]


@pytest.mark.parametrize(
    ("link", "component", "reason"),
    [
        (
            'camunda:formRef="f"',
            {"type": "checklist", "key": "docs", "values": []},
            "type 'checklist' is not supported",
        ),
        ('camunda:formRef="f"', {"type": "number", "key": "fee", "decimalDigits": 2}, "decimal digits"),
        ('camunda:formRef="f"', {"type": "datetime", "key": "at", "subtype": "datetime"}, "only dates"),
        ('camunda:formRef="f"', {"type": "select", "key": "pick", "valuesKey": "options"}, "must be listed"),
        ('camunda:formRef="f"', {"type": "textfield", "key": "code", "validate": {"pattern": "^A"}}, "'pattern'"),
        ('camunda:formRef="f"', {"type": "textfield", "key": "a.b"}, "no dots"),
        ('camunda:formRef="other"', {"type": "textfield", "key": "x"}, "'other' (camunda:formRef) was not uploaded"),
        (
            'camunda:formKey="camunda-forms:deployment:missing.form"',
            {"type": "textfield", "key": "x"},
            "'missing.form' (camunda:formKey) was not uploaded",
        ),
        (
            'camunda:formKey="embedded:app:forms/review.html"',
            {"type": "textfield", "key": "x"},
            "names a form this hall cannot show",
        ),
    ],
)
def test_what_a_camunda_form_cannot_honour_is_refused_naming_the_task(link, component, reason):
    with pytest.raises(InvalidDiagram) as refused:
        bpmn_engine.parse_diagram(LINKED.format(link=link).encode(), forms={"f.form": camunda_form(component)})
    assert refused.value.element_id == "t"
    assert reason in str(refused.value)
