"""The SpiffWorkflow version `spiff_adapter` was written for, and each private hook it relies on:
an upgrade of the library fails here, by name, before it fails in a case."""

import inspect
import re
import tomllib
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.event_parsers import EventDefinitionParser, StartEventParser
from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

from services.approval import bpmn_engine, spiff_adapter
from services.common.time import set_clock_offset, utcnow

ROOT = Path(__file__).resolve().parents[3]
# A form option with the id of the user task, as the hall's convention (`accept`) has it.
DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="pin" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="to_t" sourceRef="start" targetRef="t" />
    <bpmn:userTask id="t" camunda:candidateGroups="clerk">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="decision" type="enum"><camunda:value id="t" name="T" /></camunda:formField>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="to_wait" sourceRef="t" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="to_end" sourceRef="wait" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


class _Parser(CamundaParser):
    PROCESS_PARSER_CLASS = spiff_adapter.ElementsFirstProcessParser


@pytest.fixture
def parser():
    parser = _Parser()
    parser.add_bpmn_str(DIAGRAM.encode(), "pin.bpmn")
    return parser


@pytest.fixture
def workflow(parser):
    workflow = BpmnWorkflow(parser.get_spec("pin"))
    workflow.do_engine_steps()
    return workflow


def _ready_task(workflow):
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    return task


def _parameters(function):
    return list(inspect.signature(function).parameters)


def test_the_installed_spiffworkflow_is_the_pinned_one_the_adapter_was_written_for():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (pin,) = [entry for entry in dependencies if re.match(r"spiffworkflow\b", entry, re.I)]
    assert pin == f"SpiffWorkflow=={spiff_adapter.SPIFFWORKFLOW_VERSION}"
    assert version("SpiffWorkflow") == spiff_adapter.SPIFFWORKFLOW_VERSION


def test_timers_read_now_from_their_module_global_which_follows_the_platform_clock():
    assert spiff_timer.datetime is spiff_adapter.PlatformDatetime  # the engine applied it at import
    assert "datetime.now(timezone.utc)" in inspect.getsource(spiff_timer)
    spec = bpmn_engine.parse_diagram(DIAGRAM.encode(), "pin.bpmn")
    try:
        set_clock_offset(timedelta(days=10))
        workflow = bpmn_engine.start(spec, {})
        bpmn_engine.complete_task(workflow, str(_ready_task(workflow).id), {"decision": "t"})
        due = bpmn_engine.next_timer(workflow)
        assert timedelta(minutes=59) < due - utcnow() <= timedelta(hours=1)
    finally:
        set_clock_offset(timedelta(0))


def test_process_parsers_index_their_nodes_in_the_hook_the_adapter_overrides(parser):
    assert _parameters(ProcessParser._index_process_nodes) == ["self"]
    assert "self._index_process_nodes()" in inspect.getsource(ProcessParser.__init__)
    process_parser = parser.get_process_parser("pin")
    assert process_parser.nodes_by_id["t"].tag.endswith("userTask")  # not the form option


def test_event_parsers_build_their_task_from_an_event_definition():
    assert StartEventParser._create_task is EventDefinitionParser._create_task
    assert _parameters(EventDefinitionParser._create_task)[:2] == ["self", "event_definition"]


def test_a_task_state_can_be_forced_and_put_back(workflow):
    assert _parameters(Task._set_state) == ["self", "value"]
    task = _ready_task(workflow)
    spiff_adapter.set_state(task, TaskState.ERROR)
    assert workflow.get_tasks(state=TaskState.ERROR) == [task]
    spiff_adapter.set_state(task, TaskState.READY)
    assert _ready_task(workflow) is task


def test_internal_data_is_read_and_written_by_name(workflow):
    assert _parameters(Task._get_internal_data) == ["self", "name", "default"]
    assert _parameters(Task._set_internal_data) == ["self", "kwargs"]
    task = _ready_task(workflow)
    spiff_adapter.set_internal_values(task, event_value="2030-01-01T00:00:00+00:00")
    assert spiff_adapter.internal_value(task, "event_value") == "2030-01-01T00:00:00+00:00"
    assert task.internal_data["event_value"] == "2030-01-01T00:00:00+00:00"


def test_a_waiting_timer_keeps_its_due_time_in_the_internal_data_the_adapter_reads(workflow):
    _ready_task(workflow).run()
    workflow.do_engine_steps()
    (waiting,) = [task for task in workflow.get_tasks(state=TaskState.WAITING) if task.task_spec.bpmn_id == "wait"]
    assert spiff_timer.TimerEventDefinition.get_datetime(spiff_adapter.internal_value(waiting, "event_value"))


def test_predicted_tasks_can_be_removed_and_predicted_again(workflow):
    assert _parameters(Workflow._remove_task) == ["self", "task_id"]
    assert "mask" in _parameters(TaskSpec._predict)
    task = _ready_task(workflow)
    (child,) = task.children
    spiff_adapter.remove_task(workflow, child.id)
    assert child.id not in workflow.tasks and task.children == []
    spiff_adapter.predict(task, TaskState.PREDICTED_MASK | TaskState.FUTURE | task.state)
    assert [(each.task_spec.bpmn_id, each.state) for each in task.children] == [("wait", TaskState.FUTURE)]


def test_processes_end_in_the_join_the_adapter_names(parser):
    spec = parser.get_spec("pin")
    assert [name for name, task_spec in spec.task_specs.items() if isinstance(task_spec, spiff_adapter.EndJoin)] == [
        "pin.EndJoin"
    ]
    assert _parameters(spiff_adapter.EndJoin._update) == ["self", "my_task"]


def test_no_other_module_touches_spiffworkflows_private_names():
    private = re.compile(
        r"\._(set_state|get_internal_data|set_internal_data|remove_task|predict|update|"
        r"create_task|index_process_nodes)\b|\b_EndJoin\b|spiff_timer\.datetime\s*="
    )
    adapter = ROOT / "services" / "approval" / "spiff_adapter.py"
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "services").rglob("*.py")
        if path != adapter and private.search(path.read_text())
    ]
    assert offenders == []
