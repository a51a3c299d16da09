"""Event subprocesses (`triggeredByEvent="true"`) as BPMN defines them, on SpiffWorkflow 3.2.

SpiffWorkflow reads the attribute in the BPMN namespace, where no modeler writes it, and only
knows event subprocesses started by a message from outside the instance. Here every event
subprocess starts with its process (or enclosing subprocess) and waits at its start event,
whatever the trigger (message, timer, error, escalation, signal), so the engine's own catching
does the rest. Around the engine steps this module adds what BPMN adds:

- when the start event fires, the subprocess sees the process data as it is then;
- an interrupting one (the default; `isInterrupting="false"` is not) cancels everything else
  its process was doing, and the process ends where the event subprocess ends;
- when the process has nothing left to do but event subprocesses that wait for their
  trigger, those are cancelled and the process ends.

A non-interrupting one fires once per instance, or once per repetition of a timer cycle.
"""

from SpiffWorkflow.bpmn.parser import event_parsers
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from services.approval import spiff_adapter
from services.approval.spiff_adapter import EndJoin

# What a branch is doing while it is not finished and not merely predicted or waiting to join.
_ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR


class EventSubprocessParsing:
    """Mixin for a flavour's `subProcess` parser: marks an event subprocess's task spec with
    `interrupting` (read from its start event's `isInterrupting`, true by default)."""

    def create_task(self):
        task_spec = super().create_task()
        if self.node.get("triggeredByEvent") == "true":
            starts = self.xpath("./bpmn:startEvent")
            task_spec.interrupting = not starts or starts[0].get("isInterrupting", "true") == "true"
        return task_spec


class EventSubprocessStartParsing:
    """Mixin for a flavour's `startEvent` parser: the start event of an event subprocess may
    also catch an error or an escalation (SpiffWorkflow reads those only on boundary events,
    so the start would fire at once)."""

    def create_task(self):
        parent = self.node.getparent()
        if parent.tag != full_tag("subProcess") or parent.get("triggeredByEvent") != "true":
            return super().create_task()
        task = spiff_adapter.create_event_task(self, self.get_event_definition(_EVENT_SUBPROCESS_TRIGGERS))
        self.spec.start.connect(task)
        return task


_EVENT_SUBPROCESS_TRIGGERS = [
    event_parsers.MESSAGE_EVENT_XPATH,
    event_parsers.SIGNAL_EVENT_XPATH,
    event_parsers.TIMER_EVENT_XPATH,
    event_parsers.CONDITIONAL_EVENT_XPATH,
    event_parsers.ERROR_EVENT_XPATH,
    event_parsers.ESCALATION_EVENT_XPATH,
]


def start_with_the_process(process_spec):
    """Connect every event subprocess to its process's start, so it waits from the start.
    SpiffWorkflow keeps the ones it does not start (message and error triggers) aside as
    `trigger_specs`, which only a message from outside the instance would start."""
    start = process_spec.start
    for name in start.trigger_specs:
        task_spec = process_spec.task_specs[name]
        start.connect(task_spec)
        task_spec.connect(process_spec.end)
    start.trigger_specs = []
    process_spec.has_event_subprocesses = any(is_event_subprocess(spec) for spec in process_spec.task_specs.values())


def is_event_subprocess(task_spec):
    return hasattr(task_spec, "interrupting")


def run_engine_steps(workflow):
    """`do_engine_steps`, with the event subprocesses' rules (see the module docstring)."""
    specs = (workflow.spec, *workflow.subprocess_specs.values())
    if not any(getattr(spec, "has_event_subprocesses", False) for spec in specs):
        workflow.do_engine_steps()
        return
    workflow.do_engine_steps(will_complete_task=_before_step)
    while _end_idle_event_subprocesses(workflow):
        workflow.do_engine_steps(will_complete_task=_before_step)


def event_subprocess_task(workflow):
    """The event subprocess task that runs `workflow`, or None (the top level, a subprocess)."""
    if workflow.parent_task_id is None:
        return None
    task = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
    return task if is_event_subprocess(task.task_spec) else None


def _before_step(task):
    """A start event of an event subprocess fires (or a timer cycle's repetition starts):
    hand it the process data as it is now, and interrupt the process if it interrupts."""
    owner = event_subprocess_task(task.workflow)
    if owner is None:
        return
    fired = isinstance(task.task_spec, StartEvent) and task.parent is task.workflow.task_tree
    repeated = (
        task.parent is not None
        and isinstance(task.parent.task_spec, StartEvent)
        and task.parent.state == TaskState.WAITING
    )
    if not (fired or repeated):
        return
    process = owner.workflow
    current = process.last_task.data if process.last_task is not None else process.task_tree.data
    task.set_data(**current)
    if fired and owner.task_spec.interrupting:
        for branch in process.task_tree.children:
            if branch is not owner:
                branch.cancel()


def _end_idle_event_subprocesses(workflow):
    """Cancel the event subprocesses still waiting for their trigger in every (sub)process
    that has nothing else left to do. Returns whether any was cancelled."""
    cancelled = False
    for process in (workflow, *workflow.subprocesses.values()):
        tasks = process.get_tasks(skip_subprocesses=True, state=_ACTIVE)
        waiting = [task for task in tasks if is_event_subprocess(task.task_spec)]
        if not waiting or any(
            not is_event_subprocess(task.task_spec) and not isinstance(task.task_spec, EndJoin) for task in tasks
        ):
            continue
        if all(_idle(workflow.subprocesses.get(task.id)) for task in waiting):
            for task in waiting:
                task.cancel()
            for join in process.get_tasks(skip_subprocesses=True, state=TaskState.WAITING, spec_class=EndJoin):
                spiff_adapter.update_join(join)  # it waited for the cancelled ones
            cancelled = True
    return cancelled


def _idle(subprocess):
    """Whether an event subprocess only waits for its trigger (or its cycle's next repetition)."""
    if subprocess is None:
        return True
    for task in subprocess.get_tasks(state=_ACTIVE):
        waits_to_start = isinstance(task.task_spec, StartEvent) and task.state == TaskState.WAITING
        if not (waits_to_start or isinstance(task.task_spec, EndJoin)):
            return False
    return True


def ends_the_process(task, workflow):
    """Whether the end event `task` ends the top-level `workflow`: it is in the workflow
    itself or in an interrupting event subprocess of it."""
    if task.workflow is workflow:
        return True
    owner = event_subprocess_task(task.workflow)
    return owner is not None and owner.workflow is workflow and owner.task_spec.interrupting


def awaited(task_spec):
    """What a catching element waits for, as (element spec, event definition) pairs. An
    event-based gateway waits for the catch events after it: SpiffWorkflow moves their
    definitions into the gateway's MultipleEventDefinition, in the order of its outputs."""
    definition = task_spec.event_definition
    if isinstance(task_spec, EventBasedGateway):
        return list(zip(task_spec.outputs, definition.event_definitions))
    if isinstance(definition, MultipleEventDefinition):
        return [(task_spec, each) for each in definition.event_definitions]
    return [(task_spec, definition)]


def gateways_waiting_for_several_timers(process_spec):
    """Event-based gateways followed by more than one timer event: SpiffWorkflow keeps one due
    time per waiting element, so the timers behind one gateway would share the first one's."""
    return [
        spec.bpmn_id
        for spec in process_spec.task_specs.values()
        if isinstance(spec, EventBasedGateway)
        and sum(isinstance(definition, TimerEventDefinition) for _, definition in awaited(spec)) > 1
    ]
