"""Every use of SpiffWorkflow's private API, in one place, for SpiffWorkflow 3.2.0 (pinned in
pyproject.toml).

The hall needs a few things the library offers no public way to do: timers on the platform
clock, an incident state, firing a timer on demand, event subprocesses that wait from the
start, and moving a case to another version. Each hook below says why it is needed; the rest
of the approval service calls these functions and never touches a `_` name of SpiffWorkflow.
`tests/unit/approval/test_spiff_adapter_pin.py` checks the pinned version and that every hook
still exists and behaves as relied on, so an upgrade fails there first.
"""

from datetime import datetime

from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from services.common.time import utcnow

SPIFFWORKFLOW_VERSION = "3.2.0"

EndJoin = _EndJoin
"""The join SpiffWorkflow puts before a (sub)process's end: it waits for every branch, so
`bpmn_events` tells it from real work and wakes it (`update_join`) when it cancelled branches."""


class PlatformDatetime(datetime):
    """`datetime` whose `now()` is the platform clock. SpiffWorkflow's timer events read
    `datetime.now(timezone.utc)` both when they compute a due time and when they decide whether
    it has passed; with this in their module, a timer follows the clock an admin moved."""

    @classmethod
    def now(cls, tz=None):
        moment = utcnow()
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


def timers_follow_platform_clock():
    """Replace the `datetime` global of SpiffWorkflow's timer module (there is no clock hook)."""
    spiff_timer.datetime = PlatformDatetime


class ElementsFirstProcessParser(ProcessParser):
    """Looks elements up among BPMN elements first. SpiffWorkflow indexes every node with an
    `id` (`_index_process_nodes`, called once per process), so a form's enum option `accept`
    (`camunda:value id="accept"`) would otherwise hide the user task `accept` that the hall's
    convention names the same."""

    def _index_process_nodes(self):
        super()._index_process_nodes()
        for node in self.xpath(".//bpmn:*[@id]"):
            self.nodes_by_id[node.get("id")] = node


def create_event_task(event_parser, event_definition):
    """The event task spec an event parser builds for ``event_definition`` (`_create_task`):
    an event subprocess's start event is built with triggers SpiffWorkflow's own start event
    parsing does not read there (errors, escalations)."""
    return event_parser._create_task(event_definition)


def set_state(task, state):
    """Force a task's state (`_set_state`): the hall's incidents put a failed or held task in
    ERROR and a retry puts it back where it was; the library has no public transition for either."""
    task._set_state(state)


def internal_value(task, name):
    """A value of the task's internal data (`_get_internal_data`): a waiting timer's due time
    (`event_value`, a dict for a cycle) lives there."""
    return task._get_internal_data(name)


def set_internal_values(task, **values):
    """Set values of the task's internal data (`_set_internal_data`): a designer's test run
    fires a timer now by moving its due time."""
    task._set_internal_data(**values)


def update_join(task):
    """Let a waiting join look at its inputs again (`TaskSpec._update`): after event
    subprocesses were cancelled, the end join that waited for them can complete."""
    task.task_spec._update(task)


def remove_task(workflow, task_id):
    """Drop a task and its descendants from the tree (`Workflow._remove_task`): a migrated case
    drops what it only predicted on the old version's specs."""
    workflow._remove_task(task_id)


def predict(task, mask):
    """Predict the task's future branch again (`TaskSpec._predict`) on its (new) spec, for the
    task states in ``mask``: a migrated case's open tasks get their children on the target version."""
    task.task_spec._predict(task, mask=mask)
