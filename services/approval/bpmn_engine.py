"""Run the hall's BPMN processes with SpiffWorkflow: parse, start, store, list and complete tasks.

A plain domain module (no broker, no database) so the approval service and its tests share one
small API. Diagrams are Camunda-flavoured BPMN as process designers save them from Camunda
Modeler; a user task's role comes from its lane (`clerk`, `reviewer`, `chief`, `cashier`) or
from `camunda:candidateGroups`.

Instance state is stored *lean*: the serializer's JSON without the process definition. The
definition is deployed once and cached as a `ParsedDiagram`; embedding it in every case would
multiply the stored size and put dotted keys (task spec names) into the document.
"""

import json
from dataclasses import dataclass
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.user_task import EnumFormField, UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
_ENCODER = create_encoder(_SERIALIZER.registry)  # the serializer's own rules for datetimes, sets…
_VALIDATOR = BpmnValidator()  # loads the BPMN 2.0 XSD; built once, reused for every diagram
# Diagrams are uploaded over HTTP: never expand entities or fetch anything while parsing.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
# The part of the serialized workflow that is the definition, not the instance.
_DEFINITION_KEYS = ("spec", "subprocess_specs")


class InvalidDiagram(ValueError):
    """The diagram cannot be deployed; `element_id` (None when the whole file is at fault)
    points the process designer at the offending element."""

    def __init__(self, element_id, message):
        super().__init__(f"{element_id}: {message}" if element_id else message)
        self.element_id = element_id
        self.message = message


class ProcessFailed(RuntimeError):
    """The engine could not continue (an expression failed, no gateway path matched).
    The in-memory workflow is then half-advanced and must be thrown away, not saved."""

    def __init__(self, element_id, message):
        super().__init__(f"{element_id}: {message}")
        self.element_id = element_id
        self.message = message


class TaskNotReady(LookupError):
    """The task is not an open user task: unknown, or already completed (perhaps by someone else)."""

    def __init__(self, task_id):
        super().__init__(f"task {task_id} is not an open user task")
        self.task_id = task_id


@dataclass(frozen=True)
class ParsedDiagram:
    """A deployable process: its key (the BPMN process id), its name and the parsed specs."""

    process_id: str
    name: str
    spec: object
    subprocess_specs: dict


class _UserTaskParser(UserTaskParser):
    """Keeps the assignment attributes CamundaParser drops, under their Camunda names, in the
    task spec's `extensions`: the hall routes work by candidate group, and time limits will
    need `dueDate`."""

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        groups = self.attribute("candidateGroups", "camunda") or ""
        extensions["candidateGroups"] = [group.strip() for group in groups.split(",") if group.strip()]
        for name in ("assignee", "dueDate"):
            value = self.attribute(name, "camunda")
            if value is not None:
                extensions[name] = value
        return extensions


class _HallParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (_UserTaskParser, UserTask),
    }


def parse_diagram(xml: bytes, filename="diagram.bpmn") -> ParsedDiagram:
    """Parse and check a diagram once, at deployment, so that a case never starts on a
    process that cannot run or whose tasks nobody would see in a work list."""
    try:
        root = etree.fromstring(xml, _XML_PARSER)
    except etree.XMLSyntaxError as error:
        raise InvalidDiagram(None, f"not well-formed XML: {error}") from error
    parser = _HallParser(validator=_VALIDATOR)
    try:
        parser.add_bpmn_xml(root, filename)
        process_id = _top_level_process(parser)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as error:
        where = f" (line {error.line_number})" if error.line_number else ""
        raise InvalidDiagram(error.id or None, f"{error}{where}") from error
    for process_spec in (spec, *subprocess_specs.values()):
        _check_roles(process_spec)
    return ParsedDiagram(process_id, spec.description, spec, subprocess_specs)


def _top_level_process(parser):
    """The one executable process no call activity calls: that is what a case starts."""
    top_level = [pid for pid in parser.get_process_ids() if pid not in parser.get_process_dependencies()]
    if len(top_level) != 1:
        found = ", ".join(top_level) or "none"
        raise InvalidDiagram(
            None, f"a diagram must hold exactly one executable top-level process (found: {found})"
        )
    return top_level[0]


def _check_roles(process_spec):
    user_tasks = (spec for spec in process_spec.task_specs.values() if isinstance(spec, UserTask))
    for task_spec in user_tasks:
        if not (task_spec.lane or task_spec.extensions["candidateGroups"]):
            message = "user task has no role: put it in a lane or set camunda:candidateGroups"
            raise InvalidDiagram(task_spec.bpmn_id, message)


def start(diagram: ParsedDiagram, data: dict, script_engine=None) -> BpmnWorkflow:
    """Start a case with `data` and run it to its first wait state (usually a user task).

    `script_engine` runs conditions and scripts; None means SpiffWorkflow's plain
    PythonScriptEngine (eval/exec, no sandbox)."""
    workflow = BpmnWorkflow(diagram.spec, diagram.subprocess_specs, script_engine=script_engine)
    workflow.task_tree.set_data(**data)
    workflow.do_engine_steps()
    return workflow


def dump_state(workflow: BpmnWorkflow) -> str:
    """The instance state as compact JSON, without the definition (see the module docstring)."""
    state = json.loads(_SERIALIZER.serialize_json(workflow))
    for key in _DEFINITION_KEYS:
        del state[key]
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def load_state(diagram: ParsedDiagram, state: str, script_engine=None) -> BpmnWorkflow:
    """Restore an instance saved by `dump_state` on the diagram version it was started with.

    The cached specs are put back where the serializer expects the definition (it passes
    objects it does not recognise through unchanged). The script engine is not part of the
    state, so it is attached again here."""
    serialized = json.loads(state)
    _SERIALIZER.migrate(serialized)
    serialized.update(spec=diagram.spec, subprocess_specs=diagram.subprocess_specs)
    workflow = _SERIALIZER.from_dict(serialized)
    if script_engine is not None:
        workflow.script_engine = script_engine
    return workflow


def open_user_tasks(workflow: BpmnWorkflow) -> list[dict]:
    """The READY user tasks as plain dicts, ready for a work list and for storing beside the state."""
    return [_describe(task) for task in _ready_user_tasks(workflow)]


def _ready_user_tasks(workflow):
    return workflow.get_tasks(state=TaskState.READY, manual=True, spec_class=UserTask)


def _describe(task):
    spec = task.task_spec
    candidate_groups = list(spec.extensions["candidateGroups"])
    return {
        "id": str(task.id),
        "element_id": spec.bpmn_id,
        "name": spec.bpmn_name or spec.bpmn_id,
        "role": spec.lane or candidate_groups[0],
        "candidate_groups": candidate_groups,
        "form": [_form_field(form_field) for form_field in spec.form.fields],
    }


def _form_field(form_field):
    # FormField.has_validation("required") is False for Camunda's <constraint name="required"/>:
    # it has no config, and has_validation tests the config. Look at the names instead.
    return {
        "id": form_field.id,
        "label": form_field.label,
        "type": form_field.type,
        "required": any(rule.name == "required" for rule in form_field.validation),
        "options": [
            {"id": option.id, "name": option.name}
            for option in (form_field.options if isinstance(form_field, EnumFormField) else [])
        ],
    }


def complete_task(workflow: BpmnWorkflow, task_id: str, data: dict) -> None:
    """Complete an open user task with the submitted `data` and run on to the next wait state.

    Checks first and touches nothing when the task is not open, so a repeated or stale
    request (two clerks, a retried message) is refused instead of advancing the case twice."""
    wanted = _as_uuid(task_id)
    task = next((t for t in _ready_user_tasks(workflow) if t.id == wanted), None)
    if task is None:
        raise TaskNotReady(task_id)
    task.set_data(**data)
    try:
        task.run()
        workflow.do_engine_steps()
    except SpiffWorkflowException as error:
        failed = getattr(error, "task_spec", None) or getattr(getattr(error, "task", None), "task_spec", None)
        raise ProcessFailed(getattr(failed, "bpmn_id", None) or getattr(failed, "name", None),
                            str(error)) from None


def _as_uuid(task_id):
    try:
        return UUID(str(task_id))
    except ValueError:
        return None


def is_completed(workflow: BpmnWorkflow) -> bool:
    return workflow.is_completed()


def workflow_data(workflow: BpmnWorkflow) -> dict:
    """The case data as JSON-safe values (datetimes and the like in the serializer's form).

    A finished workflow holds the final data; a running one is read from its last completed
    task, which carries everything submitted so far on that path."""
    data = workflow.data if workflow.is_completed() else workflow.last_task.data
    return json.loads(json.dumps(data, cls=_ENCODER))
