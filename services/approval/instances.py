"""Process instances: started once per case, advanced by task completions, messages and an
admin's retry. Every change is one *step*: load the state, change it, hand over stored
messages the instance now waits for, and save with a compare-and-set on ``rev`` (a lost race
is retried on fresh state). After a saved step the open tasks and the audit trail follow
from the new state.

What a step leaves to do besides the state goes through an outbox: its audit entries and the
hall's events are computed before the save and written with it (``outbox``); after the save
the entries are stored (keyed, so storing one twice stores it once) and the events dispatched
by the service, then the outbox is cleared (``announced``). A replica that dies in between
leaves them in the instance; the next step of that instance carries them along, and
``unannounced`` finds the rest for the service's sweep. So an event may go out twice, never
not at all (every consumer keys what it records), and no audit entry is lost. The answer to
an idempotent request that made the step (``services.common.idempotency``) rides in the
outbox the same way and is recorded in the request log before the outbox is cleared: a
retry after a crash finds it in one place or the other (``completion_requests``)."""
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import mongoengine as me
from mongoengine.queryset.visitor import Q
from pymongo.errors import BulkWriteError

from services.approval import bpmn_engine, hall_flow, models, roles, timers
from services.approval.forms import validate_form_data
from services.approval.staff import StaffDirectory
from services.approval.worklist import (
    HALL_DEPARTMENT,
    ON_THE_SPOT_BY,
    can_work_on,
    claims,
    claims_on_the_spot,
    on_the_spot_claim,
    task_department,
)
from services.common.db import collection_of, count_of
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.fields import to_millis
from services.common.idempotency import RequestLog
from services.common.tracing import current_request_id

log = logging.getLogger(__name__)

DUPLICATE_KEY = 11000  # MongoDB's error code for a unique index violation

# A step that lost the compare-and-set is redone on the fresh state: parallel branches of one
# case (a joint registration's four reviews, a timer) may meet several times in a row.
SAVE_ATTEMPTS = 10
# A timer that is due but does not fire (its instance cannot run) is looked at again after this.
STUCK_TIMER_RETRY = timedelta(minutes=1)
# What a process starts with from `case_submitted`, besides case number and department.
CASE_DATA = ("item_code", "item_name", "kind", "on_the_spot", "promised_limit_days", "legal_limit_days",
             "submitted_at")
SYSTEM = "system"
# A message the process does not wait for yet is kept this long for it, then no longer handed over.
MESSAGE_RETENTION = timedelta(days=30)
WORK_LIST_FILTERS = ("process_key", "case_no", "element_id")
# Departments whose staff see every case's process (the hall's own windows and supervision).
ALL_CASES_DEPARTMENTS = frozenset({HALL_DEPARTMENT, "supervision"})


@dataclass(frozen=True)
class Announcement:
    """The events a saved step leaves to dispatch, and the revision whose outbox holds them."""
    instance_id: object
    rev: int
    events: list


class _NoAlarm:
    def ring(self, due_at):
        pass


class InstanceRepository:
    def __init__(self, definitions, alarm=None):
        """``alarm.ring(due_at)`` is told of every timer a saved step leaves pending, so that a
        scheduler asleep until a later timer wakes up for it. ``staff`` is the roster that says
        whether a task has anyone to do it (``roles.no_one_reason``)."""
        self.definitions = definitions
        self.alarm = alarm or _NoAlarm()
        self.staff = StaffDirectory()
        self.mappings = roles.Mappings()

    def start_for_case(self, case, now):
        """Start the case's process on the version its item's policy names (``process_version``:
        that one; absent or null: the newest); a repeated event starts nothing.

        Returns the events to announce. A repeated event finds the instance and repairs
        what a replica killed right after saving it may have left undone: the open tasks
        are brought up to date and the progress announced again (both idempotent)."""
        existing = models.ProcessInstance.objects(case_no=case["case_no"]).first()
        if existing is not None:
            return self._repair(existing, now)
        version = case.get("process_version")
        if version is None:
            version, diagram = self.definitions.latest(case["process_key"])
        else:
            diagram = self.definitions.diagram(case["process_key"], version)
        unmapped = roles.unmapped(bpmn_engine.diagram_roles(diagram), self.mappings.of(case["process_key"]))
        held = (f"the roles {', '.join(unmapped)} of process {case['process_key']} are not mapped to the hall's: "
                f"map them (PUT /api/v1/processes/{case['process_key']}/roles) and the case starts", roles.UNMAPPED) \
            if unmapped else None
        workflow = bpmn_engine.start(diagram, {
            "case_no": case["case_no"], "department": case["department"],
            **{key: case.get(key) for key in CASE_DATA},
            ON_THE_SPOT_BY: None,  # the chief who accepts on the spot, when one does (worklist.py)
        }, held=held)
        instance = models.ProcessInstance(
            case_no=case["case_no"], process_key=case["process_key"], process_version=version,
            item_code=case.get("item_code"), department=case["department"], rev=1, started_at=now,
            consumed_messages=[],
        )
        entries = [{"kind": "started", "actor": SYSTEM,
                    "data": {"process_key": case["process_key"], "process_version": version}}]
        entries += self._deliver_stored_messages(instance, workflow, now)
        self._hold_tasks_no_one_can_do(instance, workflow, set())
        _record_state(instance, workflow, now)
        before = _Before(None)
        outbox = Outbox(_audit(instance, entries, now), _events(instance, workflow, None, before, SYSTEM, now), {})
        instance.outbox, instance.outbox_pending = outbox.dumps(), True
        timers.expect(instance.case_no, instance.next_timer_at)
        try:
            instance.save(force_insert=True)
        except me.NotUniqueError:  # a concurrent delivery of the same event stored it first
            return []
        self._after_step(instance, workflow, now, outbox, before)
        return [Announcement(instance.pk, instance.rev, outbox.events)]

    def _repair(self, instance, now):
        """Bring the open tasks up to date and announce the progress again, with whatever
        the outbox still holds."""
        workflow = self._resync(instance, now)
        progress = ("case_progressed", _progress(instance, workflow, bpmn_engine.end_event(workflow)))
        return [Announcement(instance.pk, instance.rev, [*Outbox.pending(instance).events, progress])]

    def _resync(self, instance, now):
        """The instance's workflow, with the audit entries its outbox holds stored and the
        open tasks made to match it."""
        diagram = self.definitions.diagram(instance.process_key, instance.process_version)
        workflow = bpmn_engine.load_state(diagram, instance.state)
        pending = Outbox.pending(instance)
        _store_audit(pending.audit)
        _record_answers(pending.answers)
        self._settle_open_tasks(instance, workflow, now)
        return workflow

    @staticmethod
    def announced(announcement):
        """The events of ``announcement`` were dispatched: empty the outbox, unless a later
        step has saved since (its outbox carries them along and it clears its own)."""
        models.ProcessInstance.objects(pk=announcement.instance_id, rev=announcement.rev).update_one(
            set__outbox="", set__outbox_pending=False)

    def unannounced(self, before, now):
        """What steps saved before ``before`` left undone, their replica stopped between saving
        and dispatching: their open tasks are brought up to date, their events returned."""
        left = []
        for instance in models.ProcessInstance.objects(outbox_pending=True, updated_at__lt=before):
            try:
                self._resync(instance, now)
            except Exception:  # one broken instance must not hold up the others
                log.exception("the saved step of case %s could not be finished", instance.case_no)
                continue
            left.append(Announcement(instance.pk, instance.rev, Outbox.pending(instance).events))
        return left

    @staticmethod
    def _open_tasks_of(user, filters):
        """The user's open tasks (role and department, or an on-the-spot claim the user holds;
        unassigned or assigned to them; not separated from them) in work-list order;
        ``filters`` narrows by ``process_key``, ``case_no`` and ``element_id``."""
        wanted = {key: value for key, value in (filters or {}).items() if key in WORK_LIST_FILTERS and value}
        theirs = Q(role__in=list(user.get("roles", ())), department=user.get("department")) | \
            Q(on_the_spot__in=claims(user)) | Q(candidate_users=user.get("username"))
        return models.OpenTask.objects(
            theirs, assignee__in=[None, user.get("username")], excluded__ne=user.get("username"),
            **wanted).order_by("due_order", "created_at", "task_id")

    def tasks_for(self, user, filters=None):
        """The user's open tasks, due soonest first, then the oldest without a due time."""
        return [task_view(t) for t in self._open_tasks_of(user, filters)]

    def work_list(self, user, filters=None, limit=50, offset=0):
        """One page of the user's work list, with the total for paging: the store sorts,
        counts and pages, so a department with thousands of open tasks reads one page."""
        found = self._open_tasks_of(user, filters)
        return {"tasks": [task_view(t) for t in found.skip(offset).limit(limit)], "total": count_of(found),
                "limit": limit, "offset": offset}

    @staticmethod
    def order_open_tasks():
        """Give open tasks stored before ``due_order`` existed their place in work lists."""
        for task in models.OpenTask.objects(due_order=None).only("created_at", "due_at"):
            models.OpenTask.objects(pk=task.pk).update_one(set__due_order=due_order(task.due_at, task.created_at))

    def get_task(self, task_id, user):
        """One task of the user's work list with its form and the case summary from the process data."""
        task = models.OpenTask.objects(task_id=task_id).first()
        if task is None or not can_work_on(user, task):
            raise NotFound(f"task {task_id} is not in your work list")
        instance = models.ProcessInstance.objects(case_no=task.case_no).first()
        if instance is None:
            raise NotFound(f"task {task_id} is not in your work list")
        diagram = self.definitions.diagram(instance.process_key, instance.process_version)
        data = bpmn_engine.workflow_data(bpmn_engine.load_state(diagram, instance.state))
        case = {key: data.get(key) for key in ("case_no", "department", *CASE_DATA)}
        return dict(task_view(task), case=dict(case, process_key=instance.process_key,
                                              process_version=instance.process_version, status=instance.status),
                    process_data=data)

    def complete(self, task_id, data, user, now, request_key=None):
        """Complete an open task with form data; returns ``(answer, events)``. The answer goes
        into the step's outbox under ``request_key`` (an idempotent request's key), if given."""
        task = models.OpenTask.objects(task_id=task_id).first()
        if task is None:
            done = models.TaskHistory.objects(task_id=task_id).first()
            if done is not None and can_work_on(user, done):
                raise Conflict(f"task {task_id} was already completed by {done.completed_by} "
                               f"at {done.completed_at.isoformat()}")
            raise NotFound(f"task {task_id} is not in your work list")
        if not can_work_on(user, task):
            raise NotFound(f"task {task_id} is not in your work list")
        data = validate_form_data(task.form, data)
        if task.element_id == hall_flow.ACCEPT:
            hall_flow.check_intake_decision(data)
        hall_flow.check_return(task.form, data)
        if task.assignee == user["username"] and any(f["id"] == hall_flow.WINDOW for f in task.form):
            hall_flow.check_window(data, _accepted_on_the_spot_by(task.case_no) == user["username"])
        _check_separation(task, user["username"])
        if claims_on_the_spot(user, task.role, task.department, task.on_the_spot):
            data = dict(data, **{ON_THE_SPOT_BY: user["username"]})

        def complete_it(instance, workflow):
            try:
                bpmn_engine.complete_task(workflow, task_id, data)
            except bpmn_engine.TaskNotReady:
                raise Conflict(f"task {task_id} is no longer open") from None
            entry = {"kind": "task_completed", "element_id": task.element_id, "actor": user["username"],
                     "data": data}
            return [entry], (task.element_id, data)

        def record_completion(instance):
            # Before the open task disappears: a second clerk then meets the history (409),
            # never a gap in which the task looks unknown (404).
            models.TaskHistory(
                task_id=task.task_id, case_no=task.case_no, element_id=task.element_id, name=task.name,
                role=task.role, department=task.department, assignee=task.assignee, on_the_spot=task.on_the_spot,
                candidate_users=task.candidate_users, completed_by=user["username"], completed_at=now, data=data,
            ).save()

        def answer(instance, events):
            return dict(task_view(task), completed=True, case_status=instance.status,
                        current_step=events[-1][1]["current_step"])

        instance, announcements = self._step(task.case_no, complete_it, now, user["username"],
                                             on_saved=record_completion,
                                             answer=(request_key, answer) if request_key else None)
        return answer(instance, announcements[-1].events), announcements

    def correlate(self, case_no, name, data, now, message_id=None, sender=SYSTEM):
        """Keep a message for the case's process and deliver it when the instance waits for it
        (now, or when it gets there later). A repeated message (same ``message_id``, by default
        the hash of case, name and data) is kept once and delivered once.

        Returns ``(delivered, events)``."""
        message_id = message_id or _message_id(case_no, name, data)
        try:
            models.Message(message_id=message_id, case_no=case_no, name=name, data=data,
                           received_at=now).save(force_insert=True)
        except me.NotUniqueError:
            pass  # received before; it may still wait for the instance, so try to deliver below
        # Keyed by the message: a delivery that stopped between the two writes records it
        # when the message comes again, and a second delivery records nothing.
        _store_audit([{"key": f"{case_no}:message:{message_id}", "case_no": case_no, "at": now.isoformat(),
                       "kind": "message_received", "element_id": name, "actor": sender, "data": data,
                       "request_id": current_request_id()}])
        if models.ProcessInstance.objects(case_no=case_no).only("id").first() is None:
            return False, []
        instance, announcements = self._step(case_no, lambda instance, workflow: ([], None), now, sender)
        return message_id in instance.consumed_messages, announcements

    def deliver(self, case_no, name, data, message_id, sender, now):
        """A department's message for a case's process (over HTTP): delivered now or kept
        until the process waits for it (``MESSAGE_RETENTION``). The id is the sender's, scoped
        to the sender: the same id again returns the same answer, with another message a
        Conflict. The hall's own messages (``hall_flow.HALL_MESSAGES``) come only from the
        hall's services: a department cannot confirm a payment by message.

        Returns ``(answer, events)``."""
        if name in hall_flow.HALL_MESSAGES:
            raise Forbidden(f"the message {name!r} is sent by the hall itself, not by a department")
        instance = models.ProcessInstance.objects(case_no=case_no).only(
            "department", "process_key", "process_version", "status").first()
        if instance is None or not _may_see(sender, instance):
            raise NotFound(f"case {case_no} has no process visible to you")
        stored_id = f"{sender['username']}:{message_id}"
        earlier = models.Message.objects(message_id=stored_id).first()
        if earlier is not None and (earlier.case_no, earlier.name, earlier.data) != (case_no, name, data):
            raise Conflict(f"the message id {message_id!r} was used for another message")
        if earlier is None:
            if instance.status == "completed":
                raise Conflict(f"the process of case {case_no} has ended: it waits for no message")
            caught = bpmn_engine.caught_messages(self.definitions.diagram(instance.process_key,
                                                                          instance.process_version))
            if name not in caught:
                listed = ", ".join(sorted(caught - hall_flow.HALL_MESSAGES)) or "none"
                raise Conflict(f"the process of case {case_no} never waits for the message {name!r} "
                               f"(it waits for: {listed})")
        delivered, announcements = self.correlate(case_no, name, data, now, stored_id, sender=sender["username"])
        received_at = earlier.received_at if earlier is not None else now
        return {"case_no": case_no, "name": name, "message_id": message_id, "delivered": delivered,
                "kept_until": None if delivered else (received_at + MESSAGE_RETENTION).isoformat()}, announcements

    def retry(self, case_no, data, user, now):
        """Run an instance's failed step again after an admin fixed its data."""

        def retry_it(instance, workflow):
            failed = bpmn_engine.incident(workflow)
            if failed is None:
                raise Conflict(f"the process of case {case_no} has no incident to retry")
            bpmn_engine.retry(workflow, data)
            return [{"kind": "retried", "element_id": failed["element_id"], "actor": user["username"],
                     "data": data or {}}], None

        instance, announcements = self._step(case_no, retry_it, now, user["username"])
        return instance, announcements

    def fire_due_timers(self, now):
        """Fire the timers due at ``now``, instance by instance; returns the events to announce.

        Firing is a step like any other, so with several replicas the compare-and-set lets one
        of them fire a timer and the others find nothing due on fresh state."""
        announcements = []
        for case_no in timers.due_cases(now):
            try:
                announcements += self._fire(case_no, now)
            except NotFound:
                timers.forget(case_no)
            except Exception:  # one broken instance must not hold up every other timer
                log.exception("the timers of case %s could not fire", case_no)
                timers.postpone(case_no, now + STUCK_TIMER_RETRY)
        return announcements

    def _fire(self, case_no, now):
        def fire(instance, workflow):
            fired = bpmn_engine.fire_due_timers(workflow)
            return [{"kind": "timer_fired", "element_id": element_id, "actor": SYSTEM, "data": {}}
                    for element_id in fired], None

        instance, announcements = self._step(case_no, fire, now, SYSTEM)
        if not announcements:  # nothing was due: the entry was early or another replica fired it
            due = instance.next_timer_at
            timers.settle(case_no, due, instance.rev)
            if due is not None and due <= now:
                log.warning("the timer of case %s is due but did not fire; trying again later", case_no)
                timers.postpone(case_no, now + STUCK_TIMER_RETRY)
        return announcements

    def process_view(self, case_no, viewer):
        """The case's process for staff: version, status, incident, what it waits for, audit."""
        instance = models.ProcessInstance.objects(case_no=case_no).first()
        if instance is None or not _may_see(viewer, instance):
            raise NotFound(f"case {case_no} has no process visible to you")
        audit = sorted(models.AuditEntry.objects(case_no=case_no), key=lambda e: (e.at, str(e.id)))
        stored = models.Message.objects(case_no=case_no)
        return {
            "case_no": instance.case_no, "process_key": instance.process_key,
            "process_version": instance.process_version, "status": instance.status, "rev": instance.rev,
            "incident": instance.incident or None, "waiting_messages": list(instance.waiting_messages),
            "stored_messages": [m.name for m in stored if m.message_id not in instance.consumed_messages],
            "open_tasks": [task_view(t) for t in models.OpenTask.objects(case_no=case_no)],
            "started_at": instance.started_at.isoformat(), "updated_at": instance.updated_at.isoformat(),
            "audit": [{"at": e.at.isoformat(), "kind": e.kind, "element_id": e.element_id, "actor": e.actor,
                       "data": e.data, "rev": e.rev, "request_id": e.request_id} for e in audit],
        }

    def progress(self, case_no):
        """``(progress, completed user tasks oldest first)`` of the case's process, the progress
        as ``case_progressed`` says it with the time of the last step; ``(None, [])`` before it starts."""
        instance = models.ProcessInstance.objects(case_no=case_no).first()
        if instance is None:
            return None, []
        workflow = bpmn_engine.load_state(self.definitions.diagram(instance.process_key, instance.process_version),
                                          instance.state)
        progress = _progress(instance, workflow, bpmn_engine.end_event(workflow))
        history = models.TaskHistory.objects(case_no=case_no).only("element_id", "name", "completed_by",
                                                                   "completed_at")
        return dict(progress, moved_at=instance.updated_at.isoformat()), sorted(history, key=lambda t: t.completed_at)

    @staticmethod
    def incidents(limit=100):
        """The cases whose process is held in an incident, the newest first: where and why."""
        held = models.ProcessInstance.objects(status="incident").only(
            "case_no", "process_key", "process_version", "department", "incident", "updated_at")
        found = sorted(held, key=lambda i: i.updated_at, reverse=True)[:limit]
        return [{"case_no": i.case_no, "process_key": i.process_key, "process_version": i.process_version,
                 "department": i.department, "incident": i.incident} for i in found]

    def move_deadline(self, case_no, deadline, now):
        """An extension moved the case's deadline (computed by the monitor on the hall's rule,
        ``services.common.deadlines``): its open tasks become due by it. Returns the events."""
        def move(instance, workflow):
            if not bpmn_engine.move_deadline(workflow, deadline):
                return [], None
            return [{"kind": "deadline_moved", "element_id": None, "actor": SYSTEM,
                     "data": {"deadline": deadline}}], None

        if models.ProcessInstance.objects(case_no=case_no).only("id").first() is None:
            return []
        return self._step(case_no, move, now, SYSTEM)[1]

    def _step(self, case_no, change, now, actor, on_saved=None, answer=None):
        """Apply ``change(instance, workflow) -> (audit entries, completed task)`` and save it
        with a compare-and-set; returns ``(instance, events)``. Nothing is saved when nothing
        happened (no entries, no message delivered). ``on_saved(instance)`` runs right after a
        successful save, before the open tasks are brought up to date. ``answer`` is
        ``(request key, answer(instance, events))``: the answer is saved in the outbox."""
        for _ in range(SAVE_ATTEMPTS):
            instance = models.ProcessInstance.objects(case_no=case_no).first()
            if instance is None:
                raise NotFound(f"case {case_no} has no process")
            diagram = self.definitions.diagram(instance.process_key, instance.process_version)
            workflow = bpmn_engine.load_state(diagram, instance.state)
            before = _Before(instance)
            open_before = bpmn_engine.open_task_ids(workflow)
            entries, completed = change(instance, workflow)
            entries += self._deliver_stored_messages(instance, workflow, now)
            if not entries:
                return instance, []
            self._hold_tasks_no_one_can_do(instance, workflow, open_before)
            expected_rev = instance.rev
            try:
                _record_state(instance, workflow, now)
            except bpmn_engine.StateTooLarge as too_large:
                workflow = self._hold(instance, diagram, completed, too_large, now)
                entries, completed, on_saved = [], None, None
            instance.rev = expected_rev + 1
            events = _events(instance, workflow, completed, before, actor, now)
            answers = {answer[0]: answer[1](instance, events)} if answer else {}
            outbox = Outbox.pending(instance).add(_audit(instance, entries, now), events, answers)
            timers.expect(case_no, instance.next_timer_at)
            saved = models.ProcessInstance.objects(id=instance.id, rev=expected_rev).update_one(
                set__state=instance.state, set__status=instance.status, set__incident=instance.incident,
                set__waiting_messages=instance.waiting_messages, set__consumed_messages=instance.consumed_messages,
                set__next_timer_at=instance.next_timer_at, set__updated_at=now, inc__rev=1,
                set__outbox=outbox.dumps(), set__outbox_pending=True,
            )
            if saved:
                if on_saved is not None:
                    on_saved(instance)
                self._after_step(instance, workflow, now, outbox, before)
                return instance, [Announcement(instance.pk, instance.rev, outbox.events)]
        raise Conflict(f"the case {case_no} is being changed by someone else, please retry")

    def _hold_tasks_no_one_can_do(self, instance, workflow, open_before):
        """Put the case in an incident at each task opened in this step that nobody can do
        (``roles.no_one_reason``), instead of leaving it waiting where no one looks."""
        opened = bpmn_engine.open_user_tasks(workflow, excluding=open_before)
        if not opened:
            return
        mapping = self.mappings.of(instance.process_key)
        for task in opened:
            role, department = roles.assign(task, mapping)
            department = department or task_department(role, instance.department)
            reason = roles.no_one_reason(task, role, department,
                                         on_the_spot_claim(task["on_the_spot_role"], instance.department), self.staff)
            if reason is not None:
                bpmn_engine.hold_task(workflow, task["id"], reason, roles.NO_ONE)

    def apply_role_mapping(self, key, user, now):
        """The key's role mapping changed: open tasks of its running cases follow it, and cases
        held because of their roles (unmapped, or a task nobody could do) run again. Returns
        the events to announce."""
        self.mappings.forget(key)
        announcements = []
        for instance in models.ProcessInstance.objects(process_key=key, status__ne="completed"):
            try:
                if (instance.incident or {}).get("kind") in (roles.NO_ONE, roles.UNMAPPED):
                    announcements += self.retry(instance.case_no, {}, {"username": user}, now)[1]
                else:
                    self._resync(instance, now)
            except Exception:  # one broken instance must not hold up the others
                log.exception("the role mapping of case %s could not be applied", instance.case_no)
        return announcements

    @staticmethod
    def _hold(instance, diagram, completed, too_large, now):
        """The step's state cannot be stored: the case stays where it was, in an incident at
        the task being completed (or where it waits), and the step's messages stay unconsumed."""
        stored = models.ProcessInstance.objects(pk=instance.pk).only("state", "consumed_messages").first()
        workflow = bpmn_engine.load_state(diagram, stored.state)
        bpmn_engine.hold(workflow, completed[0] if completed else None, str(too_large))
        instance.consumed_messages = list(stored.consumed_messages)
        _record_state(instance, workflow, now)
        return workflow

    @staticmethod
    def _deliver_stored_messages(instance, workflow, now):
        """Hand over every stored message the instance waits for (oldest first), also those
        it comes to wait for after taking one. A department's message older than
        ``MESSAGE_RETENTION`` is no longer handed over; the hall's own are kept for good."""
        if not bpmn_engine.waiting_messages(workflow):
            return []  # waits for none: no need to look (most steps)
        kept_since = now - MESSAGE_RETENTION
        stored = sorted((m for m in models.Message.objects(case_no=instance.case_no)
                         if m.message_id not in instance.consumed_messages
                         and (m.received_at >= kept_since or m.name in hall_flow.HALL_MESSAGES)),
                        key=lambda m: m.received_at)
        entries = []
        while stored and bpmn_engine.incident(workflow) is None:
            waiting = set(bpmn_engine.waiting_messages(workflow))
            message = next((m for m in stored if m.name in waiting), None)
            if message is None:
                break
            element_id = bpmn_engine.deliver_message(workflow, message.name, message.data)
            instance.consumed_messages.append(message.message_id)
            stored.remove(message)
            entries.append({"kind": "message_delivered", "element_id": element_id, "actor": SYSTEM,
                            "data": {"name": message.name, **message.data}})
        return entries

    def _after_step(self, instance, workflow, now, outbox, before):
        """Audit trail, answers, timers and open tasks after a saved step."""
        _store_audit(outbox.audit)
        _record_answers(outbox.answers)
        if instance.next_timer_at is not None or before.next_timer_at is not None:
            timers.settle(instance.case_no, instance.next_timer_at, instance.rev)
            self.alarm.ring(instance.next_timer_at)
        self._settle_open_tasks(instance, workflow, now)

    def _settle_open_tasks(self, instance, workflow, now):
        """Sync the open tasks to ``instance`` and, when another step has saved since (its own
        sync may have run before this one), again to the instance as it is now: whichever sync
        runs last then is of the newest state."""
        for _ in range(SAVE_ATTEMPTS):
            self._sync_open_tasks(instance, workflow, now)
            current = models.ProcessInstance.objects(pk=instance.pk).only("rev").first()
            if current is None or current.rev == instance.rev:
                return
            instance = models.ProcessInstance.objects(pk=instance.pk).first()
            diagram = self.definitions.diagram(instance.process_key, instance.process_version)
            workflow = bpmn_engine.load_state(diagram, instance.state)

    def _sync_open_tasks(self, instance, workflow, now):
        """Make the open-task collection match the workflow's ready user tasks, their roles
        and departments as the process's role mapping says.

        Writes go by ``_id`` or are inserts: on the embedded store an update filtered on
        ``task_id`` scans the collection (6 ms at 2,000 open tasks, against 1 ms by key)."""
        ready = {t["id"]: t for t in bpmn_engine.open_user_tasks(workflow)}
        mapping = self.mappings.of(instance.process_key) if ready else {}
        known = {}
        for task in models.OpenTask.objects(case_no=instance.case_no):
            if task.task_id in ready:
                known[task.task_id] = task
            else:
                task.delete()
        for task_id, t in ready.items():
            due_at = _instant(t["due"])
            role, department = roles.assign(t, mapping)
            fields = dict(case_no=instance.case_no, process_key=instance.process_key, element_id=t["element_id"],
                          name=t["name"], role=role, department=department or task_department(role, instance.department),
                          form=t["form"], assignee=t["assignee"], candidate_users=t["candidate_users"], due_at=due_at,
                          on_the_spot=on_the_spot_claim(t["on_the_spot_role"], instance.department),
                          separate_from=t["separate_from"], excluded=_completers(instance.case_no, t["separate_from"]))
            if task_id in known:
                fields["due_order"] = due_order(due_at, known[task_id].created_at)
                models.OpenTask.objects(pk=known[task_id].pk).update_one(
                    **{f"set__{k}": v for k, v in fields.items()})
                continue
            try:
                models.OpenTask(task_id=task_id, created_at=now, due_order=due_order(due_at, now),
                                **fields).save(force_insert=True)
            except me.NotUniqueError:
                pass  # a concurrent step of the same instance opened it first


class StoredCases:
    """The stored instances as migration reaches them (``migration.InstanceStore``)."""

    def __init__(self, repository):
        self.repository = repository

    @staticmethod
    def running(key, version):
        return [i.case_no for i in models.ProcessInstance.objects(
            process_key=key, process_version=version, status__ne="completed").only("case_no")]

    def load(self, case_no):
        instance = models.ProcessInstance.objects(case_no=case_no).first()
        if instance is None:
            raise NotFound(f"case {case_no} has no process")
        diagram = self.repository.definitions.diagram(instance.process_key, instance.process_version)
        return instance.rev, instance.process_version, instance.status, bpmn_engine.load_state(diagram, instance.state)

    def replace(self, case_no, rev, version, workflow, entry, now):
        """Save the migrated case as one step (compare-and-set on ``rev``, the audit entry and
        its progress through the outbox); the events to announce, or None when the case
        changed meanwhile."""
        instance = models.ProcessInstance.objects(case_no=case_no, rev=rev).first()
        if instance is None:
            return None
        before = _Before(instance)
        _record_state(instance, workflow, now)
        instance.process_version, instance.rev = version, rev + 1
        outbox = Outbox.pending(instance).add(_audit(instance, [entry], now),
                                              [("case_progressed", _progress(instance, workflow, None))])
        timers.expect(case_no, instance.next_timer_at)
        saved = models.ProcessInstance.objects(id=instance.id, rev=rev).update_one(
            set__state=instance.state, set__process_version=version, set__status=instance.status,
            set__incident=instance.incident, set__waiting_messages=instance.waiting_messages,
            set__next_timer_at=instance.next_timer_at, set__updated_at=now, inc__rev=1,
            set__outbox=outbox.dumps(), set__outbox_pending=True)
        if not saved:
            return None
        self.repository._after_step(instance, workflow, now, outbox, before)
        return [Announcement(instance.pk, instance.rev, outbox.events)]


class _Before:
    """What a step compares against: was the instance finished, what did it wait for."""

    def __init__(self, instance):
        self.completed = instance is not None and instance.status == "completed"
        self.waiting_messages = set(instance.waiting_messages) if instance is not None else set()
        self.next_timer_at = instance.next_timer_at if instance is not None else None


def _events(instance, workflow, completed, before, actor, now):
    """The hall's events of a step, ending with the case's progress (at ``instance.rev``)."""
    end = bpmn_engine.end_event(workflow) if not before.completed else None
    newly_waiting = set(instance.waiting_messages) - before.waiting_messages
    events = hall_flow.domain_events(instance, completed, end, newly_waiting,
                                     bpmn_engine.workflow_data(workflow), actor, now)
    return [*events, ("case_progressed", _progress(instance, workflow, end))]


@dataclass(frozen=True)
class Outbox:
    """What saved steps leave to do: audit entries (as stored, instants in ISO), events, and
    the answers to the idempotent requests that made them (request key -> answer)."""
    audit: list
    events: list
    answers: dict

    @classmethod
    def pending(cls, instance):
        """What earlier steps left in the instance's outbox (nothing once it was cleared)."""
        if not instance.outbox_pending:
            return cls([], [], {})
        left = json.loads(instance.outbox)
        return cls(left["audit"], [tuple(event) for event in left["events"]], left.get("answers", {}))

    def add(self, audit, events, answers):
        return Outbox([*self.audit, *audit], [*self.events, *events], {**self.answers, **answers})

    def dumps(self):
        return json.dumps({"audit": self.audit, "events": self.events, "answers": self.answers})


def _record_answers(answers):
    """Answers of the outbox in the request log, before the outbox is cleared."""
    if answers:
        log = RequestLog.of(models.ALIAS)
        for key, answer in answers.items():
            log.record(key, answer)


def _audit(instance, entries, now):
    """The step's audit entries (and its incident), keyed by case, revision and place in the step."""
    if instance.incident:
        entries = [*entries, {"kind": "incident", "element_id": instance.incident["element_id"], "actor": SYSTEM,
                              "data": {"message": instance.incident["message"]}}]
    request_id = current_request_id()
    return [dict(entry, key=f"{instance.case_no}:{instance.rev}:{n}", case_no=instance.case_no, at=now.isoformat(),
                 rev=instance.rev, request_id=request_id) for n, entry in enumerate(entries)]


def _store_audit(entries):
    """A step's audit entries in one write (one command, not one per entry); an entry the
    step's own replica stored before it stopped is left as it is."""
    documents = []
    for entry in entries:
        audit = models.AuditEntry(**dict(entry, at=datetime.fromisoformat(entry["at"])))
        try:
            audit.validate()
        except me.ValidationError as exc:  # e.g. data keys starting with "$": not storable, and never will be
            log.error("audit entry %s of case %s cannot be stored: %s", entry["key"], entry["case_no"], exc)
            continue
        documents.append(audit.to_mongo())
    if not documents:
        return
    try:
        collection_of(models.AuditEntry).insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        if any(error["code"] != DUPLICATE_KEY for error in exc.details["writeErrors"]):
            raise


def _record_state(instance, workflow, now):
    failed = bpmn_engine.incident(workflow)
    instance.state = bpmn_engine.dump_state(workflow)
    instance.status = _status(workflow, failed)
    instance.incident = dict(failed, at=now.isoformat()) if failed else {}
    instance.waiting_messages = bpmn_engine.waiting_messages(workflow)
    instance.next_timer_at = bpmn_engine.next_timer(workflow)
    instance.updated_at = now


def _status(workflow, failed):
    if failed:
        return "incident"
    return "completed" if bpmn_engine.is_completed(workflow) else "in_progress"


def _progress(instance, workflow, end):
    """``case_progressed``: an incident is the hall's own business, so intake (and through it the
    applicant) sees the case still in progress. Steps and outcome are words (``outcome_label``);
    ``outcome`` is the hall's decision code (``approved``/``refused``) when the flow ended in one."""
    return {
        "case_no": instance.case_no, "rev": instance.rev,
        "status": "completed" if instance.status == "completed" else "in_progress",
        "current_step": ", ".join(bpmn_engine.current_steps(workflow)) or None,
        "outcome": end if instance.status == "completed" and end in hall_flow.END_EVENTS else None,
        "outcome_label": bpmn_engine.outcome(workflow) if instance.status == "completed" else None,
    }


def _instant(text):
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


# Past any due time in epoch milliseconds (the year 2286): tasks without one come after.
NO_DUE_TIME = 10 ** 13


def due_order(due_at, created_at):
    """Work lists: tasks with a due time first, soonest first; then the oldest without one."""
    return to_millis(due_at) if due_at is not None else NO_DUE_TIME + to_millis(created_at)


def _completers(case_no, element_ids):
    """Who completed the tasks ``element_ids`` of the case: those a separated task excludes."""
    if not element_ids:
        return []
    done = models.TaskHistory.objects(case_no=case_no, element_id__in=element_ids).only("completed_by")
    return sorted({entry.completed_by for entry in done})


def _check_separation(task, username):
    """审批分离: refuse (403, changing nothing) a task to a person who completed a task it is
    separated from."""
    done = models.TaskHistory.objects(case_no=task.case_no, element_id__in=task.separate_from,
                                      completed_by=username).first() if task.separate_from else None
    if done is None:
        return
    raise Forbidden(f"审批分离 separation of duties: {username} completed “{done.name}” ({done.element_id}) of case "
                    f"{task.case_no}, so “{task.name}” ({task.element_id}) must be done by someone else")


def _accepted_on_the_spot_by(case_no):
    """The chief who accepted the case on the spot (the acceptance's ``on_the_spot_by``), or None."""
    accepted = models.TaskHistory.objects(case_no=case_no, element_id=hall_flow.ACCEPT).order_by("-completed_at") \
        .only("data").first()
    return accepted.data.get(ON_THE_SPOT_BY) if accepted is not None else None


def _message_id(case_no, name, data):
    canonical = json.dumps([case_no, name, data], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _may_see(viewer, instance):
    department = viewer.get("department")
    return department in ALL_CASES_DEPARTMENTS or department == instance.department


def task_view(task):
    return {"id": task.task_id, "case_no": task.case_no, "process_key": task.process_key,
            "element_id": task.element_id, "name": task.name,
            "role": task.role, "department": task.department, "assignee": task.assignee,
            "on_the_spot": task.on_the_spot, "form": task.form,
            "created_at": task.created_at.isoformat(), "due_at": task.due_at.isoformat() if task.due_at else None}
