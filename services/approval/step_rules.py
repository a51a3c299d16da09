"""The rules of one step of a process instance, over plain data: who may complete a task and
with what data, what a step produces (the open and done tasks the instance carries, its audit
entries, the hall's events, the step's record and the outbox that holds it until the record
is stored), when a case is held in an incident, what an idempotent completion answers, and
the rules of a department's message (who may send it, its id, whether anything waits for it,
how long it is kept).
``instances.InstanceRepository`` runs the engine, reads and saves; the rules take what it
read (an instance's plain attributes, the engine's plain task descriptions) and decide.

Instants in the stored shapes are epoch milliseconds (``services.common.fields``); a step's
``at`` and its audit entries' are ISO text."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.approval import hall_flow, roles
from services.approval.forms import validate_form_data
from services.approval.worklist import (
    ON_THE_SPOT_BY,
    can_work_on,
    claims_on_the_spot,
    on_the_spot_claim,
    task_department,
)
from services.common.contracts.events import CASE_PROGRESSED, PROCESS_COMPLETED
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.fields import from_millis, to_millis

SYSTEM = "system"
# A message the process does not wait for yet is kept this long for it, then no longer handed over.
MESSAGE_RETENTION = timedelta(days=30)
# Past any due time in epoch milliseconds (the year 2286): tasks without one come after.
NO_DUE_TIME = 10**13


@dataclass(frozen=True)
class Announcement:
    """The events a saved step leaves to dispatch, at the revision that saved it, the step
    records to store once they went out, and the answers of the idempotent requests that
    made the steps (request key -> answer)."""

    instance_id: object
    rev: int
    events: list
    records: tuple = ()
    answers: dict = field(default_factory=dict)


class Before:
    """What a step compares against: was the instance finished, what did it wait for, how
    many tasks were done."""

    def __init__(self, instance):
        self.completed = instance is not None and instance.status == "completed"
        self.waiting_messages = set(instance.waiting_messages) if instance is not None else set()
        self.next_timer_at = instance.next_timer_at if instance is not None else None
        self.done = len(instance.done) if instance is not None else 0


def unmapped_hold(process_key, unmapped):
    """``(reason, kind)`` to start a process whose diagram names the roles ``unmapped``
    (``roles.unmapped``) held at its start, or None when all are mapped."""
    if not unmapped:
        return None
    return (
        f"the roles {', '.join(unmapped)} of process {process_key} are not mapped to the hall's: "
        f"map them (PUT /api/v1/processes/{process_key}/roles) and the case starts",
        roles.UNMAPPED,
    )


def no_one_holds(opened, mapping, case_department, staff):
    """``(task id, reason)`` of each task opened in a step (``bpmn_engine.open_user_tasks``)
    that nobody can do (``roles.no_one_reason``): the case is held in an incident there
    instead of waiting where no one looks."""
    holds = []
    for task in opened:
        role, department = roles.assign(task, mapping)
        department = department or task_department(role, case_department)
        reason = roles.no_one_reason(
            task, role, department, on_the_spot_claim(task["on_the_spot_role"], case_department), staff
        )
        if reason is not None:
            holds.append((task["id"], reason))
    return holds


def held_for_roles(incident):
    """A case held because of its roles (unmapped, or a task nobody could do): a change of the
    role mapping retries it."""
    return (incident or {}).get("kind") in (roles.NO_ONE, roles.UNMAPPED)


def not_open(task_id, done, user):
    """The error for completing a task that is not open: 409 saying who completed it and when,
    to a user who could have (``done`` the instance's completed tasks); otherwise 404, as for
    a task that is not in the user's work list."""
    completed = next((t for t in done if t["task_id"] == task_id), None)
    if completed is not None and can_work_on(user, completed):
        return Conflict(
            f"task {task_id} was already completed by {completed['completed_by']} "
            f"at {from_millis(completed['completed_at']).isoformat()}"
        )
    return NotFound(f"task {task_id} is not in your work list")


def completion_data(instance, task, user, data):
    """The data the user completes the open ``task`` of ``instance`` with: the form's data,
    checked (400) against the form and the hall's rules for acceptance, return and the window,
    with ``on_the_spot_by`` when the user completes it through its on-the-spot claim. 404 when
    the task is not the user's, 403 when separation of duties forbids it."""
    if not can_work_on(user, task):
        raise NotFound(f"task {task['task_id']} is not in your work list")
    username = user["username"]
    data = validate_form_data(task["form"], data)
    if task["element_id"] == hall_flow.ACCEPT:
        hall_flow.check_intake_decision(data)
    hall_flow.check_return(task["form"], data)
    if task["assignee"] == username and any(f["id"] == hall_flow.WINDOW for f in task["form"]):
        hall_flow.check_window(data, accepted_on_the_spot_by(instance) == username)
    check_separation(instance, task, username)
    if claims_on_the_spot(user, task["role"], task["department"], task["on_the_spot"]):
        data = dict(data, **{ON_THE_SPOT_BY: username})
    return data


def completed_entry(task, username, data):
    """The audit entry of a completed task."""
    return {"kind": "task_completed", "element_id": task["element_id"], "actor": username, "data": data}


def completion_answer(task, status, events):
    """What a completion answers (and an idempotent repeat of it): the task, the case's status
    and its current step after the step (from the step's ``case_progressed``, the last one:
    ``events`` may begin with an earlier step's, still in the outbox)."""
    progressed = next((payload for name, payload in reversed(events) if name == CASE_PROGRESSED.name), {})
    return dict(task_view(task), completed=True, case_status=status, current_step=progressed.get("current_step"))


def step_events(instance, completed, before, end, process_data, progressed, actor, now):
    """The hall's events of a step of a case's own process (``hall_flow.domain_events``),
    ending with the case's progress ``progressed``."""
    newly_waiting = set(instance.waiting_messages) - before.waiting_messages
    events = hall_flow.domain_events(instance, completed, end, newly_waiting, process_data, actor, now)
    return [*events, *progress_events(progressed)]


def progress_events(progressed):
    """``case_progressed``, and ``process_completed`` too when the step ended the process."""
    events = [CASE_PROGRESSED.event(**progressed)]
    if progressed["status"] == "completed":
        events.append(PROCESS_COMPLETED.event(**progressed))
    return events


def to_hand_over(stored, consumed, now):
    """The stored messages (``models.Message`` documents) to hand over to an instance, oldest
    first: those it has not taken (``consumed``); a department's only for
    ``MESSAGE_RETENTION``, the hall's own for good."""
    kept_since = to_millis(now - MESSAGE_RETENTION)
    return sorted(
        (
            m
            for m in stored
            if m["message_id"] not in consumed
            and (m["received_at"] >= kept_since or m["name"] in hall_flow.HALL_MESSAGES)
        ),
        key=lambda m: m["received_at"],
    )


def check_from_department(name):
    """The hall's own messages (``hall_flow.HALL_MESSAGES``) come only from the hall's
    services: a department cannot confirm a payment by message (403)."""
    if name in hall_flow.HALL_MESSAGES:
        raise Forbidden(f"the message {name!r} is sent by the hall itself, not by a department")


def department_message_key(username, message_id):
    """A department's message id is the sender's: stored scoped to the sender."""
    return f"{username}:{message_id}"


def check_same_message(message_id, earlier, message):
    """The same message id again is the same message ``(case number, name, data)``, else 409."""
    if earlier != message:
        raise Conflict(f"the message id {message_id!r} was used for another message")


def check_awaited(case_no, name, caught):
    """409 when nothing of the case will ever take the message ``name``: ``caught`` are the
    messages its process (while it runs) and its running sub-instances wait for somewhere."""
    if name in caught:
        return
    if not caught:
        raise Conflict(f"the process of case {case_no} has ended: it waits for no message")
    listed = ", ".join(sorted(caught - hall_flow.HALL_MESSAGES)) or "none"
    raise Conflict(f"the process of case {case_no} never waits for the message {name!r} (it waits for: {listed})")


def delivery_answer(case_no, name, message_id, delivered, received_at):
    """What a department's message answers (and a repeat of it): delivered, or kept until when."""
    return {
        "case_no": case_no,
        "name": name,
        "message_id": message_id,
        "delivered": delivered,
        "kept_until": None if delivered else (received_at + MESSAGE_RETENTION).isoformat(),
    }


def step(instance, entries, history, events, now, request_id):
    """One saved step as its record will hold it (and its instance's outbox until then)."""
    return {
        "rev": instance.rev,
        "at": now.isoformat(),
        "audit": audit(instance, entries, now, request_id),
        "tasks": history,
        "events": [list(event) for event in events],
    }


@dataclass(frozen=True)
class Outbox:
    """The saved steps whose records are not known to be stored, oldest first."""

    steps: list

    @classmethod
    def loads(cls, text):
        return cls(json.loads(text)["steps"] if text else [])

    def add(self, step):
        return Outbox([*self.steps, step])

    def dumps(self):
        return json.dumps({"steps": self.steps})

    def announcement(self, instance):
        return Announcement(
            instance.pk,
            instance.rev,
            [tuple(event) for step in self.steps for event in step["events"]],
            tuple(record(instance.case_no, step) for step in self.steps),
            {key: answer for step in self.steps for key, answer in step.get("answers", {}).items()},
        )

    def answer(self, key):
        """The answer a step in the outbox holds for the request ``key``, or None."""
        return next((step["answers"][key] for step in self.steps if key in step.get("answers", {})), None)


def record_key(case_no, step):
    return step.get("key") or f"{case_no}:{step['rev']}"


def record(case_no, step):
    return {
        "_id": record_key(case_no, step),
        "case_no": case_no,
        "rev": step.get("rev"),
        "at": to_millis(datetime.fromisoformat(step["at"])),
        "body": json.dumps({key: step[key] for key in ("audit", "tasks", "events")}),
    }


def audit(instance, entries, now, request_id):
    """The step's audit entries (and its incident), keyed by case, revision and place in the step."""
    if instance.incident:
        entries = [
            *entries,
            {
                "kind": "incident",
                "element_id": instance.incident["element_id"],
                "actor": SYSTEM,
                "data": {"message": instance.incident["message"]},
            },
        ]
    return [
        dict(
            entry,
            key=f"{instance.case_no}:{instance.rev}:{n}",
            case_no=instance.case_no,
            at=now.isoformat(),
            rev=instance.rev,
            request_id=request_id,
        )
        for n, entry in enumerate(entries)
    ]


def audit_order(entry):
    """Audit entries by time; within a step in their order, a received message before the step."""
    return (
        datetime.fromisoformat(entry["at"]),
        entry.get("rev") or 0,
        int(entry["key"].rsplit(":", 1)[1]) if entry.get("rev") else 0,
    )


def open_tasks(instance, user_tasks, mapping, now):
    """The instance's ready user tasks (``bpmn_engine.open_user_tasks``) as work lists show
    them, their roles and departments as the process's role ``mapping`` says
    (``roles.assign``); a task open before keeps its creation time."""
    created = {t["task_id"]: t["created_at"] for t in instance.open_tasks}
    tasks = []
    for t in user_tasks:
        created_at = created.get(t["id"], to_millis(now))
        due_at = _instant(t["due"])
        due_millis = to_millis(due_at) if due_at is not None else None
        role, department = roles.assign(t, mapping)
        tasks.append(
            {
                "task_id": t["id"],
                "case_no": instance.parent_case or instance.case_no,
                "instance_no": instance.case_no,
                "process_key": instance.process_key,
                "element_id": t["element_id"],
                "name": t["name"],
                "role": role,
                "department": department or task_department(role, instance.department),
                "assignee": t["assignee"],
                "candidate_users": t["candidate_users"],
                "on_the_spot": on_the_spot_claim(t["on_the_spot_role"], instance.department),
                "form": t["form"],
                "instructions": t["instructions"],
                "created_at": created_at,
                "due_at": due_millis,
                "due_order": due_order(due_millis, created_at),
                "separate_from": t["separate_from"],
                "excluded": completers(instance.done, t["separate_from"]),
            }
        )
    return tasks


def done_task(task, username, data, now):
    """A completed task as the instance remembers it: enough for a late second completion
    (409), separation of duties and the window check."""
    return {
        key: task[key]
        for key in ("task_id", "element_id", "name", "role", "department", "assignee", "on_the_spot", "candidate_users")
    } | {"completed_by": username, "completed_at": to_millis(now), ON_THE_SPOT_BY: data.get(ON_THE_SPOT_BY)}


def status(failed, completed):
    """The instance's status: held in an incident (``failed``), ``completed``, or in progress."""
    if failed:
        return "incident"
    return "completed" if completed else "in_progress"


def progress(instance, current_steps, end, outcome_label):
    """``case_progressed``: an incident is the hall's own business, so intake (and through it the
    applicant) sees the case still in progress. Steps and outcome are words (``outcome_label``);
    ``outcome`` is the hall's decision code (``approved``/``refused``) when the flow ended in one."""
    return {
        "case_no": instance.case_no,
        "rev": instance.rev,
        "status": "completed" if instance.status == "completed" else "in_progress",
        "current_step": ", ".join(current_steps) or None,
        "outcome": end if instance.status == "completed" and end in hall_flow.END_EVENTS else None,
        "outcome_label": outcome_label if instance.status == "completed" else None,
    }


def _instant(text):
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def due_order(due_at, created_at):
    """Work lists: tasks with a due time first, soonest first; then the oldest without one
    (instants in epoch milliseconds)."""
    return due_at if due_at is not None else NO_DUE_TIME + created_at


def completers(done, element_ids):
    """Who completed the tasks ``element_ids`` of the case: those a separated task excludes."""
    return sorted({t["completed_by"] for t in done if t["element_id"] in element_ids})


def check_separation(instance, task, username):
    """审批分离: refuse (403, changing nothing) a task to a person who completed a task it is
    separated from."""
    done = next(
        (t for t in instance.done if t["element_id"] in task["separate_from"] and t["completed_by"] == username), None
    )
    if done is None:
        return
    raise Forbidden(
        f"审批分离 separation of duties: {username} completed “{done['name']}” ({done['element_id']}) "
        f"of case {instance.case_no}, so “{task['name']}” ({task['element_id']}) must be done by "
        f"someone else"
    )


def accepted_on_the_spot_by(instance):
    """The chief who accepted the case on the spot (the acceptance's ``on_the_spot_by``), or None."""
    accepted = [t for t in instance.done if t["element_id"] == hall_flow.ACCEPT]
    return accepted[-1][ON_THE_SPOT_BY] if accepted else None


def task_view(task):
    return {
        "id": task["task_id"],
        "case_no": task["case_no"],
        "instance_no": task.get("instance_no", task["case_no"]),
        "process_key": task["process_key"],
        "element_id": task["element_id"],
        "name": task["name"],
        "role": task["role"],
        "department": task["department"],
        "assignee": task["assignee"],
        "on_the_spot": task["on_the_spot"],
        "form": task["form"],
        "instructions": task.get("instructions"),
        "created_at": from_millis(task["created_at"]).isoformat(),
        "due_at": from_millis(task["due_at"]).isoformat() if task["due_at"] is not None else None,
    }
