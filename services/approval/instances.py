"""Process instances: started once per case, advanced by task completions, messages and an
admin's retry. Every change is one *step*: load the instance, change its state, hand over
stored messages it now waits for, and save it with a compare-and-set on ``rev`` (a lost race
is retried on fresh state). The instance carries its open tasks and its completed ones, so
the save also brings work lists up to date.

A step is two writes: the compare-and-set of the instance, and one *step record* (``Step``)
with its audit entries, the task it completed and the hall's events. The instance's outbox
holds the step until its record is stored: after the save the service dispatches the
events, then the record is stored (keyed by case and revision, so storing it twice stores it
once); a stored record is therefore a sent one. A replica that dies in between leaves the
step in the instance's outbox; the next step of that instance carries it along, and
``unannounced`` finds the rest for the service's sweep, which also clears the outboxes whose
records are all stored. So an event may go out twice, never not at all (every consumer keys
what it records), and no audit entry or task history is lost. The answer to an idempotent
request that made the step (``services.common.idempotency``) rides in the step in the outbox
the same way and is recorded in the request log before the step's record is stored: a retry
after a crash finds it in one place or the other (``completion_requests``).

The hot paths (completion, work lists, the sweep) read and write the raw documents of the
instance and step collections (``collection_of``) and build no mongoengine ``Document``."""

import hashlib
import json
import logging
from datetime import timedelta

import mongoengine as me
from bson import ObjectId
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.approval import bpmn_engine, collaboration, models, roles, step_rules, timers
from services.approval.staff import StaffDirectory
from services.approval.step_rules import SYSTEM
from services.approval.worklist import (
    ON_THE_SPOT_BY,
    can_work_on,
    user_keys,
    work_keys,
)
from services.common.contracts.events import MESSAGE_THROWN
from services.common.db import collection_of
from services.common.errors import Conflict, NotFound
from services.common.fields import from_millis, to_millis
from services.common.idempotency import RequestLog
from services.common.staff_roles import may_see
from services.common.tracing import current_request_id

log = logging.getLogger(__name__)

DUPLICATE_KEY = 11000  # MongoDB's error code for a unique index violation

# A step that lost the compare-and-set is redone on the fresh state: parallel branches of one
# case (a joint registration's four reviews, a timer) may meet several times in a row.
SAVE_ATTEMPTS = 10
# A timer that is due but does not fire (its instance cannot run) is looked at again after this.
STUCK_TIMER_RETRY = timedelta(minutes=1)
# What a process starts with from `case_submitted`, besides case number and department.
CASE_DATA = ("item_code", "item_name", "kind", "on_the_spot", "promised_limit_days", "legal_limit_days", "submitted_at")
WORK_LIST_FILTERS = ("process_key", "case_no", "element_id")
# Steps this replica finished (records stored) that an instance's outbox may still list.
FINISHED_REMEMBERED = 10_000
# Outboxes one sweep looks at (the next sweep takes the rest).
SWEEP_BATCH = 500
# What a work list reads of an instance.
WORK_LIST_FIELDS = {"open_tasks": 1}
# Between a case's number, a partner process's key and a message's hash in a sub-instance's number.
SUB_INSTANCE = "~"


class _NoAlarm:
    def ring(self, due_at):
        pass


def _instances():
    return collection_of(models.ProcessInstance)


def _steps():
    return collection_of(models.Step)


class Instance:
    """A stored instance as plain attributes over its raw document (no ``Document`` built);
    instants as aware datetimes."""

    def __init__(self, son):
        self.incident, self.waiting_messages, self.consumed_messages = {}, [], []
        self.open_tasks, self.done, self.outbox, self.outbox_pending, self.item_code = [], [], "", False, None
        self.parent_case = None
        self.__dict__.update(son)
        self.pk = son["_id"]
        self.next_timer_at = from_millis(son["next_timer_at"]) if son.get("next_timer_at") is not None else None

    def saved_fields(self):
        """What a step changes, as stored."""
        return {
            "state": self.state,
            "status": self.status,
            "incident": self.incident,
            "waiting_messages": self.waiting_messages,
            "consumed_messages": self.consumed_messages,
            "next_timer_at": to_millis(self.next_timer_at) if self.next_timer_at is not None else None,
            "updated_at": self.updated_at,
            "rev": self.rev,
            "open_tasks": self.open_tasks,
            "done": self.done,
            "task_keys": task_keys(self.open_tasks, self.done),
            "outbox": self.outbox,
            "outbox_pending": self.outbox_pending,
        }


def task_token(task_id):
    """The text-index token of a task id (one word: no dashes)."""
    return "t" + task_id.replace("-", "")


def key_token(key):
    """The text-index token of a work-list key (role, department and names may hold any character)."""
    return "k" + hashlib.blake2b(key.encode("utf-8"), digest_size=10).hexdigest()


def task_keys(open_tasks, done):
    tokens = [task_token(t["task_id"]) for t in (*open_tasks, *done)]
    tokens += [key_token(key) for t in open_tasks for key in work_keys(t)]
    return " ".join(dict.fromkeys(tokens))


def _text(token):
    return {"$text": {"$search": token}}


class InstanceRepository:
    def __init__(self, definitions, alarm=None):
        """``alarm.ring(due_at)`` is told of every timer a saved step leaves pending, so that a
        scheduler asleep until a later timer wakes up for it."""
        self.definitions = definitions
        self.alarm = alarm or _NoAlarm()
        self._finished = {}  # instance id -> the newest revision whose step records this replica stored
        self.staff = StaffDirectory()
        self.mappings = roles.Mappings()

    def start_for_case(self, case, now):
        """Start the case's process on the newest version; a repeated event starts nothing.

        Returns the events to announce. A repeated event finds the instance and announces
        its progress again, with whatever its outbox still holds (idempotent)."""
        existing = _instances().find_one({"case_no": case["case_no"]})
        if existing is not None:
            return self._repair(Instance(existing))
        version = case.get("process_version")
        if version is None:
            version, diagram = self.definitions.latest(case["process_key"])
        else:
            diagram = self.definitions.diagram(case["process_key"], version)
        unmapped = roles.unmapped(bpmn_engine.diagram_roles(diagram), self.mappings.of(case["process_key"]))
        held = step_rules.unmapped_hold(case["process_key"], unmapped)
        workflow = bpmn_engine.start(
            diagram,
            {
                "case_no": case["case_no"],
                "department": case["department"],
                **{key: case.get(key) for key in CASE_DATA},
                ON_THE_SPOT_BY: None,  # the chief who accepts on the spot, when one does (worklist.py)
            },
            held=held,
        )
        instance = Instance(
            {
                "_id": ObjectId(),
                "case_no": case["case_no"],
                "process_key": case["process_key"],
                "process_version": version,
                "item_code": case.get("item_code"),
                "department": case["department"],
                "rev": 1,
                "started_at": to_millis(now),
            }
        )
        entries = [
            {
                "kind": "started",
                "actor": SYSTEM,
                "data": {"process_key": case["process_key"], "process_version": version},
            }
        ]
        return self._insert(instance, workflow, entries, now)

    def _insert(self, instance, workflow, entries, now):
        """Store a new instance as its first step; ``[]`` when a concurrent delivery of the
        same event stored it first."""
        entries = [*entries, *self._deliver_stored_messages(instance, workflow, now)]
        self._hold_tasks_no_one_can_do(instance, workflow, set())
        thrown = bpmn_engine.thrown_messages(workflow)
        self._record_state(instance, workflow, now)
        before = step_rules.Before(None)
        events = [*_events(instance, workflow, None, before, SYSTEM, now), *_thrown(instance, thrown)]
        outbox = step_rules.Outbox([step_rules.step(instance, entries, [], events, now, current_request_id())])
        instance.outbox, instance.outbox_pending = outbox.dumps(), True
        timers.expect(instance.case_no, instance.next_timer_at)
        try:
            _instances().insert_one(dict(_identity(instance), **instance.saved_fields()))
        except DuplicateKeyError:
            return []
        self._after_step(instance, before)
        return [outbox.announcement(instance)]

    def _repair(self, instance):
        """Announce the progress again, with whatever the outbox still holds."""
        diagram = self.definitions.diagram(instance.process_key, instance.process_version)
        workflow = bpmn_engine.load_state(diagram, instance.state)
        progress = step_rules.progress_events(_progress(instance, workflow, bpmn_engine.end_event(workflow)))
        pending = self._pending(instance).announcement(instance)
        return [
            step_rules.Announcement(
                instance.pk, instance.rev, [*pending.events, *progress], pending.records, pending.answers
            )
        ]

    def announced(self, announcement):
        """The events of ``announcement`` were dispatched: record its answers in the request
        log, then store its step records (which marks them sent). The instance's outbox is
        cleared by the sweep, in bulk; until then this replica's next steps of the instance
        know not to carry these along."""
        _record_answers(announcement.answers)
        _store_records(announcement.records)
        if len(self._finished) >= FINISHED_REMEMBERED:
            self._finished.clear()
        self._finished[announcement.instance_id] = max(
            announcement.rev, self._finished.get(announcement.instance_id, 0)
        )

    @staticmethod
    def unannounced(before, now):
        """What steps saved before ``before`` left undone, their replica stopped between saving
        and storing their records: their events and records are returned. The outboxes whose
        records are all stored are emptied (unless a step saved since)."""
        pending = list(
            _instances().find(
                {"outbox_pending": True, "updated_at": {"$lt": to_millis(before)}},
                {"case_no": 1, "rev": 1, "outbox": 1},
                limit=SWEEP_BATCH,
            )
        )
        outboxes = {son["_id"]: step_rules.Outbox.loads(son["outbox"]) for son in pending}
        keys = [step_rules.record_key(son["case_no"], step) for son in pending for step in outboxes[son["_id"]].steps]
        stored = {record["_id"] for record in _steps().find({"_id": {"$in": keys}}, {"_id": 1})} if keys else set()
        left, finished = [], []
        for son in pending:
            missing = step_rules.Outbox(
                [
                    step
                    for step in outboxes[son["_id"]].steps
                    if step_rules.record_key(son["case_no"], step) not in stored
                ]
            )
            if missing.steps:
                left.append(missing.announcement(Instance(son)))
            else:
                finished.append(son["_id"])
        if finished:
            _instances().update_many(
                {"_id": {"$in": finished}, "updated_at": {"$lt": to_millis(before)}},
                {"$set": {"outbox": "", "outbox_pending": False}},
            )
        return left

    @staticmethod
    def _open_tasks_of(user, filters):
        """The user's open tasks (role and department, or an on-the-spot claim the user holds,
        or named; unassigned or assigned to them; not separated from them) in work-list order;
        ``filters`` narrows by ``process_key``, ``case_no`` and ``element_id``. Found through
        the instances' text index, one look-up per key of the user (``user_keys``)."""
        wanted = {key: value for key, value in (filters or {}).items() if key in WORK_LIST_FILTERS and value}
        username = user.get("username")
        if "case_no" in wanted:  # one case: its instance and sub-instances by number
            found = {son["_id"]: son for son in _family(wanted["case_no"], WORK_LIST_FIELDS)}
        else:
            found = {
                son["_id"]: son
                for key in user_keys(user)
                for son in _instances().find(_text(key_token(key)), WORK_LIST_FIELDS)
            }
        tasks = [
            task
            for son in found.values()
            for task in son["open_tasks"]
            if can_work_on(user, task)
            and username not in task["excluded"]
            and all(task[key] == value for key, value in wanted.items())
        ]
        return sorted(tasks, key=lambda t: (t["due_order"], t["created_at"], t["task_id"]))

    def tasks_for(self, user, filters=None):
        """The user's open tasks, due soonest first, then the oldest without a due time."""
        return [step_rules.task_view(t) for t in self._open_tasks_of(user, filters)]

    def work_list(self, user, filters=None, limit=50, offset=0):
        """One page of the user's work list, with the total for paging."""
        found = self._open_tasks_of(user, filters)
        return {
            "tasks": [step_rules.task_view(t) for t in found[offset : offset + limit]],
            "total": len(found),
            "limit": limit,
            "offset": offset,
        }

    def get_task(self, task_id, user):
        """One task of the user's work list with its form and the case summary from the process data."""
        instance, task = _find_task(task_id)
        if task is None or not can_work_on(user, task):
            raise NotFound(f"task {task_id} is not in your work list")
        diagram = self.definitions.diagram(instance.process_key, instance.process_version)
        data = bpmn_engine.workflow_data(bpmn_engine.load_state(diagram, instance.state))
        case = {key: data.get(key) for key in ("case_no", "department", *CASE_DATA)}
        return dict(
            step_rules.task_view(task),
            case=dict(
                case, process_key=instance.process_key, process_version=instance.process_version, status=instance.status
            ),
            process_data=data,
        )

    def complete(self, task_id, data, user, now, request_key=None):
        """Complete an open task with form data; returns ``(answer, events)``. The answer goes
        into the step's outbox under ``request_key`` (an idempotent request's key), if given."""
        instance, task = _find_task(task_id)
        if task is None:
            raise step_rules.not_open(task_id, instance.done if instance else [], user)
        data = step_rules.completion_data(instance, task, user, data)
        username = user["username"]

        def complete_it(instance, workflow):
            try:
                bpmn_engine.complete_task(workflow, task_id, data)
            except bpmn_engine.TaskNotReady:
                raise Conflict(f"task {task_id} is no longer open") from None
            instance.done = [*instance.done, step_rules.done_task(task, username, data, now)]
            return [step_rules.completed_entry(task, username, data)], (task["element_id"], data)

        def answer(instance, events):
            return step_rules.completion_answer(task, instance.status, events)

        instance, announcements = self._step(
            instance.case_no,
            complete_it,
            now,
            username,
            loaded=instance,
            answer=(request_key, answer) if request_key else None,
        )
        return answer(instance, announcements[-1].events), announcements

    def route(self, case_no, message, now, sender=SYSTEM):
        """Deliver a message for the case (thrown by one of its instances, or a department's):
        to an instance of the case that waits for it (by name, and by spiff-arena's
        correlation keys), else start the partner process whose message start event catches it,
        else the deployed one (``definitions.started_by``; a sub-instance of the case,
        ``_start_by_message``), else keep it for the case's
        process. ``message`` is ``{message_id, name, data, correlations}`` with the process
        key and version of the instance that threw it, if one did. A message routed before is
        delivered where it went the first time: a redelivery starts nothing twice.

        Returns ``(delivered or started, events)``."""
        name, data, message_id = message["name"], message.get("data"), message["message_id"]
        earlier = models.Message.objects(message_id=message_id).only("case_no").first()
        if earlier is not None:
            return self.correlate(earlier.case_no, name, data, now, message_id, sender)
        family = _family(
            case_no,
            {"case_no": 1, "process_key": 1, "process_version": 1, "state": 1, "waiting_messages": 1, "department": 1},
        )
        for son in family:
            if name in son.get("waiting_messages", ()) and self._catches(son, message):
                return self.correlate(son["case_no"], name, data, now, message_id, sender, message.get("correlations"))
        root = next((son for son in family if son["case_no"] == case_no), None)
        if root is not None:
            partner = self._partner(
                message.get("process_key") or root["process_key"],
                message.get("process_version") or root["process_version"],
                name,
            ) or self.definitions.started_by(name)
            if partner is not None:
                return True, self._start_by_message(root, *partner, message, now, sender)
        return self.correlate(case_no, name, data, now, message_id, sender, message.get("correlations"))

    def _catches(self, son, message):
        workflow = bpmn_engine.load_state(
            self.definitions.diagram(son["process_key"], son["process_version"]), son["state"]
        )
        return bpmn_engine.catches(workflow, message["name"], message.get("correlations"))

    def _partner(self, key, version, name):
        """``(key, version, diagram)`` of the partner process of ``key``'s collaboration that
        the message ``name`` starts, deployed with that version; None when there is none."""
        partner = collaboration.starting_partner(self.definitions.diagram(key, version), name)
        if partner is None:
            return None
        partner_version = self.definitions.deployed_with(key, version, partner.process_id)
        return partner.process_id, partner_version, self.definitions.diagram(partner.process_id, partner_version)

    def _start_by_message(self, root, key, version, diagram, message, now, sender):
        """Start a sub-instance of the case ``root`` on the partner process ``key``: its number is
        the case's with the process key and the message's hash (``sub_instance_no``), so the
        same message starts it once; it works for the case's department and takes the message
        at its start event."""
        data = {"case_no": root["case_no"], "department": root["department"], ON_THE_SPOT_BY: None}
        workflow = bpmn_engine.start_by_message(diagram, data, message)
        instance = Instance(
            {
                "_id": ObjectId(),
                "case_no": sub_instance_no(root["case_no"], key, message["message_id"]),
                "parent_case": root["case_no"],
                "process_key": key,
                "process_version": version,
                "department": root["department"],
                "rev": 1,
                "started_at": to_millis(now),
                "consumed_messages": [message["message_id"]],
            }
        )
        entries = [
            {
                "kind": "started",
                "actor": sender,
                "element_id": bpmn_engine.message_starts(diagram)[message["name"]],
                "data": {"process_key": key, "process_version": version, "message": message["name"]},
            }
        ]
        announcements = self._insert(instance, workflow, entries, now)
        try:
            models.Message(
                message_id=message["message_id"],
                case_no=instance.case_no,
                name=message["name"],
                data=message.get("data") or {},
                correlations=message.get("correlations") or {},
                received_at=now,
            ).save(force_insert=True)
        except me.NotUniqueError:
            pass  # a redelivery: the sub-instance was started the first time
        return announcements

    def correlate(self, case_no, name, data, now, message_id=None, sender=SYSTEM, correlations=None):
        """Keep a message for the case's process and deliver it when the instance waits for it
        (now, or when it gets there later). A repeated message (same ``message_id``, by default
        the hash of case, name and data) is kept once and delivered once.

        Returns ``(delivered, events)``."""
        message_id = message_id or _message_id(case_no, name, data)
        try:
            models.Message(
                message_id=message_id,
                case_no=case_no,
                name=name,
                data=data,
                correlations=correlations or {},
                received_at=now,
            ).save(force_insert=True)
        except me.NotUniqueError:
            pass  # received before; it may still wait for the instance, so try to deliver below
        # Keyed by the message: a delivery that stopped between the two writes records it
        # when the message comes again, and a second delivery records nothing.
        entry = {
            "key": f"{case_no}:message:{message_id}",
            "case_no": case_no,
            "at": now.isoformat(),
            "kind": "message_received",
            "element_id": name,
            "actor": sender,
            "data": data,
            "request_id": current_request_id(),
        }
        _store_records(
            [
                step_rules.record(
                    case_no, {"key": entry["key"], "at": entry["at"], "audit": [entry], "tasks": [], "events": []}
                )
            ]
        )
        if _instances().find_one({"case_no": case_no}, {"_id": 1}) is None:
            return False, []
        instance, announcements = self._step(case_no, lambda instance, workflow: ([], None), now, sender)
        return message_id in instance.consumed_messages, announcements

    def deliver(self, case_no, name, data, message_id, sender, now):
        """A department's message for a case's process (over HTTP): delivered now or kept
        until the process waits for it (``step_rules.MESSAGE_RETENTION``). The id is the sender's, scoped
        to the sender: the same id again returns the same answer, with another message a
        Conflict. The hall's own messages (``hall_flow.HALL_MESSAGES``) come only from the
        hall's services: a department cannot confirm a payment by message.

        Returns ``(answer, events)``."""
        step_rules.check_from_department(name)
        instance = (
            models.ProcessInstance.objects(case_no=case_no, parent_case=None)
            .only("department", "process_key", "process_version", "status")
            .first()
        )
        if instance is None or not may_see(sender, instance.department):
            raise NotFound(f"case {case_no} has no process visible to you")
        stored_id = step_rules.department_message_key(sender["username"], message_id)
        earlier = models.Message.objects(message_id=stored_id).first()
        if earlier is not None:
            step_rules.check_same_message(
                message_id, (_case_of(earlier.case_no), earlier.name, earlier.data), (case_no, name, data)
            )
        else:
            self._check_awaited(instance, case_no, name)
        delivered, announcements = self.route(
            case_no, {"message_id": stored_id, "name": name, "data": data}, now, sender["username"]
        )
        received_at = earlier.received_at if earlier is not None else now
        return step_rules.delivery_answer(case_no, name, message_id, delivered, received_at), announcements

    def _check_awaited(self, instance, case_no, name):
        """Conflict when nothing of the case will ever take the message ``name``: neither its
        process (ended, or drawn without it) nor its sub-instances, nor a process it starts."""
        diagram = self.definitions.diagram(instance.process_key, instance.process_version)
        if collaboration.starting_partner(diagram, name) is not None or self.definitions.started_by(name):
            return
        running = [
            son
            for son in _instances().find(
                {"parent_case": case_no, "status": {"$ne": "completed"}}, {"process_key": 1, "process_version": 1}
            )
        ]
        caught = set().union(
            *(
                bpmn_engine.caught_messages(self.definitions.diagram(son["process_key"], son["process_version"]))
                for son in running
            )
        )
        if instance.status != "completed":
            caught |= bpmn_engine.caught_messages(diagram)
        step_rules.check_awaited(case_no, name, caught)

    def retry(self, case_no, data, user, now):
        """Run an instance's failed step again after an admin fixed its data."""

        def retry_it(instance, workflow):
            failed = bpmn_engine.incident(workflow)
            if failed is None:
                raise Conflict(f"the process of case {case_no} has no incident to retry")
            bpmn_engine.retry(workflow, data)
            return [
                {"kind": "retried", "element_id": failed["element_id"], "actor": user["username"], "data": data or {}}
            ], None

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
            return [
                {"kind": "timer_fired", "element_id": element_id, "actor": SYSTEM, "data": {}} for element_id in fired
            ], None

        instance, announcements = self._step(case_no, fire, now, SYSTEM)
        if not announcements:  # nothing was due: the entry was early or another replica fired it
            due = instance.next_timer_at
            timers.settle(case_no, due, instance.rev)
            if due is not None and due <= now:
                log.warning("the timer of case %s is due but did not fire; trying again later", case_no)
                timers.postpone(case_no, now + STUCK_TIMER_RETRY)
        return announcements

    def process_view(self, case_no, viewer):
        """The case's process for staff: version, status, incident, what it waits for, audit
        (from the step records, and from the outbox for a step whose record is not stored yet)."""
        son = _instances().find_one({"case_no": case_no})
        instance = Instance(son) if son is not None else None
        if instance is None or not may_see(viewer, instance.department):
            raise NotFound(f"case {case_no} has no process visible to you")
        stored = {record["_id"]: json.loads(record["body"]) for record in _steps().find({"case_no": case_no})}
        for step in step_rules.Outbox.loads(instance.outbox).steps if instance.outbox_pending else ():
            stored.setdefault(step_rules.record_key(case_no, step), step)
        audit = sorted((entry for step in stored.values() for entry in step["audit"]), key=step_rules.audit_order)
        messages = models.Message.objects(case_no=case_no)
        subs = _instances().find(
            {"parent_case": case_no},
            {"case_no": 1, "process_key": 1, "status": 1, "waiting_messages": 1, "open_tasks": 1},
        )
        return {
            "case_no": instance.case_no,
            "process_key": instance.process_key,
            "process_version": instance.process_version,
            "status": instance.status,
            "rev": instance.rev,
            "incident": instance.incident or None,
            "waiting_messages": list(instance.waiting_messages),
            "stored_messages": [m.name for m in messages if m.message_id not in instance.consumed_messages],
            "open_tasks": [step_rules.task_view(t) for t in instance.open_tasks],
            "started_at": from_millis(instance.started_at).isoformat(),
            "updated_at": from_millis(instance.updated_at).isoformat(),
            "sub_instances": [
                {
                    "instance_no": son["case_no"],
                    "process_key": son["process_key"],
                    "status": son["status"],
                    "waiting_messages": son.get("waiting_messages", []),
                    "open_tasks": [step_rules.task_view(t) for t in son.get("open_tasks", [])],
                }
                for son in subs
            ],
            "audit": [
                {
                    "at": e["at"],
                    "kind": e["kind"],
                    "element_id": e.get("element_id"),
                    "actor": e.get("actor"),
                    "data": e.get("data", {}),
                    "rev": e.get("rev"),
                    "request_id": e.get("request_id"),
                }
                for e in audit
            ],
        }

    def progress(self, case_no):
        """``(progress, completed user tasks oldest first)`` of the case's process, the progress
        as ``case_progressed`` says it with the time of the last step, each task ``{element_id,
        name, by, at}`` from the instance's done tasks; ``(None, [])`` before it starts."""
        son = _instances().find_one({"case_no": case_no})
        if son is None:
            return None, []
        instance = Instance(son)
        workflow = bpmn_engine.load_state(
            self.definitions.diagram(instance.process_key, instance.process_version), instance.state
        )
        progress = _progress(instance, workflow, bpmn_engine.end_event(workflow))
        return (
            dict(progress, moved_at=from_millis(instance.updated_at).isoformat()),
            [
                {
                    "element_id": t["element_id"],
                    "name": t["name"],
                    "by": t["completed_by"],
                    "at": from_millis(t["completed_at"]).isoformat(),
                }
                for t in sorted(instance.done, key=lambda t: t["completed_at"])
            ],
        )

    @staticmethod
    def incidents(limit=100):
        """The cases whose process is held in an incident, the newest first: where and why."""
        held = _instances().find(
            {"status": "incident"},
            {"case_no": 1, "process_key": 1, "process_version": 1, "department": 1, "incident": 1, "updated_at": 1},
        )
        found = sorted(held, key=lambda i: i["updated_at"], reverse=True)[:limit]
        return [
            {
                "case_no": i["case_no"],
                "process_key": i["process_key"],
                "process_version": i["process_version"],
                "department": i["department"],
                "incident": i["incident"],
            }
            for i in found
        ]

    def move_deadline(self, case_no, deadline, now):
        """An extension moved the case's deadline (computed by the monitor on the hall's rule,
        ``services.common.deadlines``): its open tasks become due by it. Returns the events."""

        def move(instance, workflow):
            if not bpmn_engine.move_deadline(workflow, deadline):
                return [], None
            return [
                {"kind": "deadline_moved", "element_id": None, "actor": SYSTEM, "data": {"deadline": deadline}}
            ], None

        if _instances().find_one({"case_no": case_no}, {"_id": 1}) is None:
            return []
        return self._step(case_no, move, now, SYSTEM)[1]

    def _step(self, case_no, change, now, actor, loaded=None, answer=None):
        """Apply ``change(instance, workflow) -> (audit entries, completed task)`` and save it
        with a compare-and-set; returns ``(instance, events)``. Nothing is saved when nothing
        happened (no entries, no message delivered). ``loaded`` is the instance as the caller
        just read it, for the first attempt. ``answer`` is ``(request key, answer(instance,
        events))``: the answer is saved with the step."""
        instance = loaded
        for _ in range(SAVE_ATTEMPTS):
            if instance is None:
                son = _instances().find_one({"case_no": case_no})
                if son is None:
                    raise NotFound(f"case {case_no} has no process")
                instance = Instance(son)
            diagram = self.definitions.diagram(instance.process_key, instance.process_version)
            workflow = bpmn_engine.load_state(diagram, instance.state)
            before = step_rules.Before(instance)
            open_before = bpmn_engine.open_task_ids(workflow)
            entries, completed = change(instance, workflow)
            entries += self._deliver_stored_messages(instance, workflow, now)
            if not entries:
                return instance, []
            self._hold_tasks_no_one_can_do(instance, workflow, open_before)
            thrown = bpmn_engine.thrown_messages(workflow)
            expected_rev = instance.rev
            try:
                self._record_state(instance, workflow, now)
            except bpmn_engine.StateTooLarge as too_large:
                workflow = self._hold(instance, diagram, completed, too_large, now)
                entries, completed, thrown = [], None, []
            instance.rev = expected_rev + 1
            history = [dict(done, data=completed[1]) for done in instance.done[before.done :]] if completed else []
            events = [*_events(instance, workflow, completed, before, actor, now), *_thrown(instance, thrown)]
            step = step_rules.step(instance, entries, history, events, now, current_request_id())
            if answer:
                step["answers"] = {answer[0]: answer[1](instance, events)}
            outbox = self._pending(instance).add(step)
            instance.outbox, instance.outbox_pending = outbox.dumps(), True
            timers.expect(case_no, instance.next_timer_at)
            saved = (
                _instances()
                .update_one({"_id": instance.pk, "rev": expected_rev}, {"$set": instance.saved_fields()})
                .matched_count
            )
            if saved:
                self._after_step(instance, before)
                return instance, [outbox.announcement(instance)]
            instance = None
        raise Conflict(f"the case {case_no} is being changed by someone else, please retry")

    def _pending(self, instance):
        """The steps the instance's outbox holds that this replica has not itself finished."""
        finished = self._finished.get(instance.pk, 0)
        left = step_rules.Outbox.loads(instance.outbox) if instance.outbox_pending else step_rules.Outbox([])
        return step_rules.Outbox([step for step in left.steps if step["rev"] > finished])

    def _hold_tasks_no_one_can_do(self, instance, workflow, open_before):
        """Put the case in an incident at each task opened in this step that nobody can do
        (``roles.no_one_reason``), instead of leaving it waiting where no one looks."""
        opened = bpmn_engine.open_user_tasks(workflow, excluding=open_before)
        if not opened:
            return
        for task_id, reason in step_rules.no_one_holds(
            opened, self.mappings.of(instance.process_key), instance.department, self.staff
        ):
            bpmn_engine.hold_task(workflow, task_id, reason, roles.NO_ONE)

    def apply_role_mapping(self, key, user, now):
        """The key's role mapping changed: open tasks of its running cases follow it, and cases
        held because of their roles (unmapped, or a task nobody could do) run again. Returns
        the events to announce."""
        self.mappings.forget(key)
        announcements = []
        for son in _instances().find(
            {"process_key": key, "status": {"$ne": "completed"}}, {"case_no": 1, "incident": 1}
        ):
            try:
                if step_rules.held_for_roles(son.get("incident")):
                    announcements += self.retry(son["case_no"], {}, {"username": user}, now)[1]
                else:
                    self._resync(son["case_no"], now)
            except Exception:  # one broken instance must not hold up the others
                log.exception("the role mapping of case %s could not be applied", son["case_no"])
        return announcements

    def _resync(self, case_no, now):
        """The instance's open tasks (and so its work-list keys) made again with the process's
        role mapping as it is now; compare-and-set on ``rev``, retried on fresh state (a step
        saved meanwhile made them with the mapping of its time)."""
        for _ in range(SAVE_ATTEMPTS):
            instance = Instance(_instances().find_one({"case_no": case_no}))
            workflow = bpmn_engine.load_state(
                self.definitions.diagram(instance.process_key, instance.process_version), instance.state
            )
            open_tasks = step_rules.open_tasks(
                instance, bpmn_engine.open_user_tasks(workflow), self.mappings.of(instance.process_key), now
            )
            if (
                _instances()
                .update_one(
                    {"_id": instance.pk, "rev": instance.rev},
                    {"$set": {"open_tasks": open_tasks, "task_keys": task_keys(open_tasks, instance.done)}},
                )
                .matched_count
            ):
                return
        raise Conflict(f"the case {case_no} is being changed by someone else, please retry")

    def _record_state(self, instance, workflow, now):
        _record_state(instance, workflow, self.mappings.of(instance.process_key), now)

    def _hold(self, instance, diagram, completed, too_large, now):
        """The step's state cannot be stored: the case stays where it was, in an incident at
        the task being completed (or where it waits), and the step's messages stay unconsumed."""
        stored = _instances().find_one({"_id": instance.pk}, {"state": 1, "consumed_messages": 1, "done": 1})
        workflow = bpmn_engine.load_state(diagram, stored["state"])
        bpmn_engine.hold(workflow, completed[0] if completed else None, str(too_large))
        instance.consumed_messages, instance.done = list(stored["consumed_messages"]), list(stored.get("done", []))
        self._record_state(instance, workflow, now)
        return workflow

    @staticmethod
    def _deliver_stored_messages(instance, workflow, now):
        """Hand over every stored message the instance waits for (oldest first), also those
        it comes to wait for after taking one (``step_rules.to_hand_over``)."""
        if not bpmn_engine.waiting_messages(workflow):
            return []  # waits for none: no need to look (most steps)
        stored = step_rules.to_hand_over(
            collection_of(models.Message).find({"case_no": instance.case_no}), instance.consumed_messages, now
        )
        entries = []
        while stored and bpmn_engine.incident(workflow) is None:
            waiting = set(bpmn_engine.waiting_messages(workflow))
            message = next((m for m in stored if m["name"] in waiting), None)
            if message is None:
                break
            data = message.get("data", {})
            element_id = bpmn_engine.deliver_message(workflow, message["name"], data, message.get("correlations"))
            stored.remove(message)
            if element_id is None:  # another instance's: its correlation keys differ
                continue
            instance.consumed_messages.append(message["message_id"])
            entries.append(
                {
                    "kind": "message_delivered",
                    "element_id": element_id,
                    "actor": SYSTEM,
                    "data": {"name": message["name"], **data},
                }
            )
        return entries

    def _after_step(self, instance, before):
        """The pending-timer index after a saved step."""
        if instance.next_timer_at is not None or before.next_timer_at is not None:
            timers.settle(instance.case_no, instance.next_timer_at, instance.rev)
            self.alarm.ring(instance.next_timer_at)


class StoredCases:
    """The stored instances as migration reaches them (``migration.InstanceStore``)."""

    def __init__(self, repository):
        self.repository = repository

    @staticmethod
    def running(key, version):
        return [
            son["case_no"]
            for son in _instances().find(
                {"process_key": key, "process_version": version, "status": {"$ne": "completed"}}, {"case_no": 1}
            )
        ]

    def load(self, case_no):
        son = _instances().find_one({"case_no": case_no})
        if son is None:
            raise NotFound(f"case {case_no} has no process")
        instance = Instance(son)
        diagram = self.repository.definitions.diagram(instance.process_key, instance.process_version)
        return instance.rev, instance.process_version, instance.status, bpmn_engine.load_state(diagram, instance.state)

    def replace(self, case_no, rev, version, workflow, entry, now):
        """Save the migrated case as one step (compare-and-set on ``rev``, its open tasks those
        of the new version, the audit entry and its progress in the step record); the events
        to announce, or None when the case changed meanwhile."""
        son = _instances().find_one({"case_no": case_no, "rev": rev})
        if son is None:
            return None
        instance = Instance(son)
        before = step_rules.Before(instance)
        self.repository._record_state(instance, workflow, now)
        instance.process_version, instance.rev = version, rev + 1
        step = step_rules.step(
            instance,
            [entry],
            [],
            step_rules.progress_events(_progress(instance, workflow, None)),
            now,
            current_request_id(),
        )
        outbox = self.repository._pending(instance).add(step)
        instance.outbox, instance.outbox_pending = outbox.dumps(), True
        timers.expect(case_no, instance.next_timer_at)
        saved = (
            _instances()
            .update_one(
                {"_id": instance.pk, "rev": rev}, {"$set": dict(instance.saved_fields(), process_version=version)}
            )
            .matched_count
        )
        if not saved:
            return None
        self.repository._after_step(instance, before)
        return [outbox.announcement(instance)]


def _find_task(task_id):
    """``(instance, open task)`` of a task id; the task is None when it is not open (the
    instance then says whether it was done), the instance None for an unknown id."""
    son = _instances().find_one(_text(task_token(task_id)))
    if son is None:
        return None, None
    instance = Instance(son)
    return instance, next((t for t in instance.open_tasks if t["task_id"] == task_id), None)


def answer_in_outbox(task_id, key):
    """The answer a saved step of the task's instance holds for the request ``key`` while the
    step's record is not stored (``announced``), or None."""
    son = _instances().find_one(_text(task_token(task_id)), {"outbox": 1, "outbox_pending": 1})
    if son is None or not son.get("outbox_pending"):
        return None
    return step_rules.Outbox.loads(son["outbox"]).answer(key)


def _identity(instance):
    """What an instance is stored with once and never changes."""
    return {
        "_id": instance.pk,
        "case_no": instance.case_no,
        "process_key": instance.process_key,
        "process_version": instance.process_version,
        "item_code": instance.item_code,
        "department": instance.department,
        "started_at": instance.started_at,
        **({"parent_case": instance.parent_case} if instance.parent_case else {}),
    }


def _events(instance, workflow, completed, before, actor, now):
    """The hall's events of a step, ending with the case's progress (at ``instance.rev``); a
    sub-instance's steps are the hall's own business (none)."""
    if instance.parent_case:
        return []
    end = bpmn_engine.end_event(workflow) if not before.completed else None
    return step_rules.step_events(
        instance,
        completed,
        before,
        end,
        bpmn_engine.workflow_data(workflow),
        _progress(instance, workflow, end),
        actor,
        now,
    )


def _thrown(instance, thrown):
    """``message_thrown`` events for the messages a step threw (``route`` delivers them), each
    with an id made of the instance, its revision and the message's place in the step."""
    return [
        MESSAGE_THROWN.event(
            **message,
            case_no=instance.parent_case or instance.case_no,
            message_id=f"{instance.case_no}:{instance.rev}:{n}",
            thrown_by=instance.case_no,
            process_key=instance.process_key,
            process_version=instance.process_version,
        )
        for n, message in enumerate(thrown)
    ]


def sub_instance_no(case_no, key, message_id):
    """The number of the sub-instance of a case that a message started."""
    return f"{case_no}{SUB_INSTANCE}{key}{SUB_INSTANCE}{hashlib.sha256(message_id.encode('utf-8')).hexdigest()[:8]}"


def _family(case_no, projection):
    """The case's instance and its sub-instances: two look-ups by index. One query with
    ``$or`` over the two fields is not translated by the embedded store, which then reads and
    filters every stored instance (the cost grew with the history: 4 s of store CPU per case
    at 10,000 finished cases)."""
    return [
        *_instances().find({"case_no": case_no}, projection),
        *_instances().find({"parent_case": case_no}, projection),
    ]


def _case_of(instance_no):
    """The case an instance number belongs to (a sub-instance's is its case's)."""
    return instance_no.split(SUB_INSTANCE, 1)[0]


def _record_answers(answers):
    """Answers of idempotent requests in the request log, before their steps' records are stored."""
    if answers:
        requests = RequestLog.of(models.ALIAS)
        for key, answer in answers.items():
            requests.record(key, answer)


def _store_records(records):
    """Step records in one write; a record stored before (by the step's own replica, the sweep
    or a repeated message) is left as it is."""
    if not records:
        return
    try:
        _steps().insert_many(list(records), ordered=False)
    except BulkWriteError as exc:
        if any(error["code"] != DUPLICATE_KEY for error in exc.details["writeErrors"]):
            raise


def _record_state(instance, workflow, mapping, now):
    failed = bpmn_engine.incident(workflow)
    instance.state = bpmn_engine.dump_state(workflow)
    instance.status = step_rules.status(failed, bpmn_engine.is_completed(workflow))
    instance.incident = dict(failed, at=now.isoformat()) if failed else {}
    instance.waiting_messages = bpmn_engine.waiting_messages(workflow)
    instance.next_timer_at = bpmn_engine.next_timer(workflow)
    instance.open_tasks = step_rules.open_tasks(instance, bpmn_engine.open_user_tasks(workflow), mapping, now)
    instance.updated_at = to_millis(now)


def _progress(instance, workflow, end):
    """``case_progressed`` of the instance at the workflow's state (``step_rules.progress``)."""
    outcome = bpmn_engine.outcome(workflow) if instance.status == "completed" else None
    return step_rules.progress(instance, bpmn_engine.current_steps(workflow), end, outcome)


def _message_id(case_no, name, data):
    canonical = json.dumps([case_no, name, data], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _may_see(viewer, instance):
    return may_see(viewer, instance.department)
