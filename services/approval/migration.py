"""Moving running cases from one version of a process to another (Camunda 7 calls it process
instance migration; its community edition has no page for it).

A case moves when every element it has passed through or waits in exists in the target
version: by the same id, or by the designer's ``element_map`` (``{old id: new id}``) for the
rest. What it waits in is what matters — a completed element may be mapped onto any element of
the target, as it is only history — and what lay ahead of it is drawn afresh from the target
version. A case waiting inside a subprocess or a call activity, or in an incident, stays. The
dry run (``plan``) says, case by case, whether it would move and what it waits in or lacks;
the migration itself moves each movable case in one compare-and-set, with an audit entry
(``migrated``: from, to, the element map used).

The cases are reached through a narrow store (``InstanceStore``), so this module does not
depend on how instances are kept."""

from dataclasses import dataclass
from typing import Protocol

from SpiffWorkflow.util.task import TaskState

from services.approval import spiff_adapter
from services.common.errors import Conflict, InvalidInput

_WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED


class InstanceStore(Protocol):
    """What migration needs of the stored instances."""

    def running(self, key: str, version: int) -> list[str]:
        """The case numbers of the instances of this version that are not completed."""

    def load(self, case_no: str):
        """``(rev, version, status, workflow)`` of the case's instance."""

    def replace(self, case_no: str, rev: int, version: int, workflow, entry: dict, now) -> list | None:
        """Store the workflow as the case's state on ``version`` if the instance is still at
        ``rev`` (None otherwise), with the audit ``entry``, and bring its open tasks up to
        date; returns the events to announce."""


@dataclass(frozen=True)
class CasePlan:
    case_no: str
    waiting_in: list
    unmapped: list
    reason: str | None

    @property
    def movable(self):
        return self.reason is None

    def view(self):
        return {
            "case_no": self.case_no,
            "movable": self.movable,
            "waiting_in": self.waiting_in,
            "unmapped": self.unmapped,
            "reason": self.reason,
        }


def check_element_map(element_map, source, target):
    """The designer's map names elements of both versions, or InvalidInput naming the entry."""
    known_old, known_new = _element_ids(source), _element_ids(target)
    problems = [
        {"field": f"element_map.{old}", "message": message}
        for old, new in element_map.items()
        for message in ([f"{old!r} is not an element of the version migrated from"] if old not in known_old else [])
        + ([f"{new!r} is not an element of the target version"] if new not in known_new else [])
    ]
    if problems:
        raise InvalidInput("the element map names elements that do not exist", problems)


def plan_case(case_no, status, workflow, target, element_map):
    """Whether the case would move to ``target`` (a ``ParsedDiagram``) and why not."""
    waiting = sorted({_element(task) for task in _live(workflow) if task.state & _WAITING})
    if status == "incident":
        return CasePlan(case_no, waiting, [], "the case is in an incident: retry or fix it first")
    if any(not sub.is_completed() for sub in workflow.subprocesses.values()):
        return CasePlan(case_no, waiting, [], "the case waits inside a subprocess or call activity")
    missing = sorted(
        {_element(task) for task in _live(workflow) if _target_name(task, element_map) not in target.spec.task_specs}
    )
    return CasePlan(
        case_no,
        waiting,
        missing,
        f"not in the target version and not mapped: {', '.join(missing)}" if missing else None,
    )


def migrate_workflow(workflow, target, element_map):
    """Put the case (movable by `plan_case`) on ``target``'s specs: each task it has run or
    waits in onto its element there, what it only predicted dropped and predicted again."""
    specs = target.spec.task_specs
    for task in list(workflow.get_tasks(skip_subprocesses=True)):
        if task.id in workflow.tasks and _predicted(task):
            spiff_adapter.remove_task(workflow, task.id)
    for task in _live(workflow):
        task.task_spec = specs[_target_name(task, element_map)]
    workflow.spec, workflow.subprocess_specs = target.spec, target.subprocess_specs
    for task in _live(workflow):
        if not task.state & TaskState.FINISHED_MASK and not task.children:
            spiff_adapter.predict(task, TaskState.PREDICTED_MASK | TaskState.FUTURE | task.state)
    return workflow


class Migrations:
    """The dry run and the migration of one process key's cases from one version to another."""

    def __init__(self, definitions, store: InstanceStore):
        self.definitions, self.store = definitions, store

    def plan(self, key, from_version, to_version, element_map):
        """The dry run: every running case of ``from_version``, movable or not and why."""
        target = self._versions(key, from_version, to_version, element_map)
        plans = [self._plan(case_no, target, element_map)[0] for case_no in self.store.running(key, from_version)]
        return _report(key, from_version, to_version, element_map, plans)

    def migrate(self, key, from_version, to_version, element_map, actor, now):
        """Move every movable case (each in its own compare-and-set; a case changed meanwhile
        is planned again); the others stay. Returns the report (``migrated`` per case) and
        the events to announce."""
        target = self._versions(key, from_version, to_version, element_map)
        plans, announcements = [], []
        for case_no in self.store.running(key, from_version):
            case_plan, moved = self._move(case_no, key, target, from_version, to_version, element_map, actor, now)
            plans.append((case_plan, moved is not None))
            announcements += moved or []
        report = _report(key, from_version, to_version, element_map, [p for p, _ in plans])
        for case, (_, moved) in zip(report["cases"], plans):
            case["migrated"] = moved
        report["migrated"] = sum(moved for _, moved in plans)
        return report, announcements

    def _versions(self, key, from_version, to_version, element_map):
        if from_version == to_version:
            raise InvalidInput(
                "a case moves to another version", [{"field": "to_version", "message": "the same as from_version"}]
            )
        target = self.definitions.diagram(key, to_version)
        check_element_map(element_map, self.definitions.diagram(key, from_version), target)
        return target

    def _plan(self, case_no, target, element_map):
        rev, version, status, workflow = self.store.load(case_no)
        return plan_case(case_no, status, workflow, target, element_map), (rev, version, workflow)

    def _move(self, case_no, key, target, from_version, to_version, element_map, actor, now):
        for _ in range(3):
            case_plan, (rev, version, workflow) = self._plan(case_no, target, element_map)
            if version != from_version or not case_plan.movable:
                return case_plan, None
            migrate_workflow(workflow, target, element_map)
            entry = {
                "kind": "migrated",
                "element_id": None,
                "actor": actor,
                "data": {
                    "process_key": key,
                    "from_version": from_version,
                    "to_version": to_version,
                    "element_map": element_map,
                    "waiting_in": case_plan.waiting_in,
                },
            }
            announcements = self.store.replace(case_no, rev, to_version, workflow, entry, now)
            if announcements is not None:
                return case_plan, announcements
        raise Conflict(f"the case {case_no} is being changed by someone else, please retry")


def _report(key, from_version, to_version, element_map, plans):
    return {
        "key": key,
        "from_version": from_version,
        "to_version": to_version,
        "element_map": element_map,
        "cases": [p.view() for p in plans],
        "movable": sum(p.movable for p in plans),
        "staying": sum(not p.movable for p in plans),
    }


def _live(workflow):
    """The top-level tasks the case has run or waits in."""
    return [task for task in workflow.get_tasks(skip_subprocesses=True) if not _predicted(task)]


def _predicted(task):
    """A task the engine has only predicted (on the path ahead of one not finished): dropped,
    and predicted again on the target version. A task a finished one opened (a parallel
    branch waiting for its turn) is live."""
    return bool(task.state & (TaskState.MAYBE | TaskState.LIKELY)) or (
        task.state == TaskState.FUTURE and task.parent is not None and not task.parent.state & TaskState.FINISHED_MASK
    )


def _element(task):
    return task.task_spec.bpmn_id or task.task_spec.name


def _target_name(task, element_map):
    return (
        element_map.get(task.task_spec.bpmn_id, task.task_spec.name) if task.task_spec.bpmn_id else task.task_spec.name
    )


def _element_ids(diagram):
    return {spec.bpmn_id for spec in diagram.spec.task_specs.values() if spec.bpmn_id}
