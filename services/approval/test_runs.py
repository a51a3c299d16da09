"""Test runs: a process designer's test instances of a deployed version, or of an uploaded
diagram checked as a deployment would check it, started with initial data.

The designer completes their tasks as any role, fires a waiting timer now and delivers a
message, and reads where the run has been (``path``: done, waiting, incident, by element
id). A message the run throws goes to the partner processes of its collaboration, else to the
deployed process of another file that it starts, as in a case (``collaboration.py``): an
instance it starts is part of the run (``partners``), its tasks are
among the run's open tasks, and the run ends where its own process ends. A test run lives only in its own collection (``models.TestRun``, ids ``T-`` and 12 hex
digits): it has no case, opens no task in any work list, sets no timer for the scheduler,
keeps no message and announces no event, so intake, monitor, payment, statistics,
supervision and the public lookup never meet it. Its timers fire only when the designer
fires them. It is removed ``RETENTION`` after it started (``remove_expired``)."""

import functools
import json
import secrets
from datetime import timedelta

from services.approval import bpmn_engine, collaboration, hall_flow, models
from services.approval.definitions import DefinitionRegistry
from services.approval.forms import validate_form_data
from services.approval.worklist import ON_THE_SPOT_BY, task_department
from services.common.errors import Conflict, NotFound

RUN_PREFIX = "T-"
RETENTION = timedelta(days=7)
SAVE_ATTEMPTS = 3
SYSTEM = "system"  # who delivers the messages a run's instances throw to each other


def start(definitions, source, data, user, now):
    """Start a test run of ``source``: ``{"process_key", "version"}`` (the latest version when
    none is given) or an upload ``{"xml", "filename", "dmn", "forms"}``, refused naming the
    element as a deployment refuses it. ``data`` is the process data it starts with."""
    if "xml" in source:
        upload = {
            "xml": source["xml"],
            "filename": source.get("filename") or "diagram.bpmn",
            "dmn": list(source.get("dmn") or ()),
            "forms": json.dumps(source.get("forms") or {}, ensure_ascii=False),
        }
        diagram, version = _uploaded(upload), None
        key = diagram.process_id
    else:
        upload, key = {}, source["process_key"]
        version = source.get("version") or definitions.latest(key)[0]
        diagram = definitions.diagram(key, version)
    run_id = RUN_PREFIX + secrets.token_hex(6)
    parties = [
        collaboration.Party(
            diagram.process_id, bpmn_engine.start(diagram, {"case_no": run_id, ON_THE_SPOT_BY: None, **data})
        )
    ]
    steps = [_step_record("started", None, user, data, now)]
    steps += _exchanged(definitions, diagram, parties, run_id, user, now)
    run = models.TestRun(
        run_id=run_id,
        process_key=key,
        process_version=version,
        name=diagram.name,
        diagram=upload,
        started_by=user["username"],
        started_at=now,
        expires_at=now + RETENTION,
        steps=json.dumps(steps, ensure_ascii=False),
    )
    _record(run, parties, now)
    run.save(force_insert=True)
    return _view(run, diagram, parties)


def get(definitions, run_id, now):
    run = _load(run_id, now)
    diagram = _diagram(definitions, run)
    return _view(run, diagram, _parties(definitions, diagram, run))


def complete_task(definitions, run_id, task_id, data, user, now):
    """Complete an open task of the run (of any of its instances), as whoever it is for, with
    its form's checks."""

    def complete(parties):
        workflow, task = next(
            (
                (party.workflow, t)
                for party in parties
                for t in bpmn_engine.open_user_tasks(party.workflow)
                if t["id"] == task_id
            ),
            (None, None),
        )
        if task is None:
            raise NotFound(f"task {task_id} is not open in the test run {run_id}")
        checked = validate_form_data(task["form"], data)
        if task["element_id"] == hall_flow.ACCEPT:
            hall_flow.check_intake_decision(checked)
        hall_flow.check_return(task["form"], checked)
        bpmn_engine.complete_task(workflow, task_id, checked)
        return _step_record("task_completed", task["element_id"], user, checked, now)

    return _change(definitions, run_id, complete, now)


def fire_timer(definitions, run_id, element_id, user, now):
    """Fire the waiting timer event ``element_id`` now, whatever its due time."""

    def fire(parties):
        if not any(bpmn_engine.fire_timer_now(party.workflow, element_id) for party in parties):
            waiting = (
                ", ".join(t["element_id"] for party in parties for t in bpmn_engine.waiting_timers(party.workflow))
                or "none"
            )
            raise Conflict(f"the test run {run_id} does not wait at the timer {element_id!r} (it waits at: {waiting})")
        return _step_record("timer_fired", element_id, user, {}, now)

    return _change(definitions, run_id, fire, now)


def deliver_message(definitions, run_id, name, data, user, now):
    """Deliver the message ``name`` to the run now (to the first of its instances that waits
    for it); a test run keeps no message for later."""

    def deliver(parties):
        waiting = [party.workflow for party in parties if name in bpmn_engine.waiting_messages(party.workflow)]
        if not waiting:
            listed = sorted({n for party in parties for n in bpmn_engine.waiting_messages(party.workflow)})
            raise Conflict(
                f"the test run {run_id} does not wait for the message {name!r} "
                f"(it waits for: {', '.join(listed) or 'none'})"
            )
        caught_by = bpmn_engine.deliver_message(waiting[0], name, data)
        return _step_record("message_delivered", caught_by, user, {"name": name, "data": data}, now)

    return _change(definitions, run_id, deliver, now)


def discard(run_id):
    if not models.TestRun.objects(run_id=run_id).delete():
        raise NotFound(f"no test run {run_id}")


def remove_expired(now):
    """Remove the test runs whose time is up; returns how many."""
    return models.TestRun.objects(expires_at__lte=now).delete()


def _change(definitions, run_id, change, now):
    """Apply ``change(parties) -> step record``, deliver the messages thrown meanwhile, and save
    it with a compare-and-set on ``rev``."""
    for _ in range(SAVE_ATTEMPTS):
        run = _load(run_id, now)
        if run.status == "completed":
            raise Conflict(f"the test run {run_id} has ended")
        diagram = _diagram(definitions, run)
        parties = _parties(definitions, diagram, run)
        steps = [change(parties), *_exchanged(definitions, diagram, parties, run_id, {"username": SYSTEM}, now)]
        expected_rev = run.rev
        _record(run, parties, now)
        run.steps = json.dumps([*json.loads(run.steps), *steps], ensure_ascii=False)
        if models.TestRun.objects(run_id=run_id, rev=expected_rev).update_one(
            set__state=run.state,
            set__partners=run.partners,
            set__status=run.status,
            set__updated_at=now,
            set__steps=run.steps,
            inc__rev=1,
        ):
            run.rev = expected_rev + 1
            return _view(run, diagram, parties)
    raise Conflict(f"the test run {run_id} is being changed by someone else, please retry")


def _load(run_id, now):
    run = models.TestRun.objects(run_id=run_id).first()
    if run is None or run.expires_at <= now:
        raise NotFound(f"no test run {run_id}")
    return run


def _diagram(definitions, run):
    return (
        _uploaded(run.diagram)
        if run.process_version is None
        else definitions.diagram(run.process_key, run.process_version)
    )


def _uploaded(upload):
    return _parsed(upload["xml"], upload["filename"], tuple(upload["dmn"]), upload["forms"])


@functools.lru_cache(maxsize=16)
def _parsed(xml, filename, dmn, forms):
    """An uploaded diagram through the deployment's checks, parsed once per content."""
    return DefinitionRegistry.validate(xml, filename, dmn, json.loads(forms))


def _parties(definitions, diagram, run):
    """The run's instances: its own process's, then those its messages started (a process
    deployed from another file with its ``version``)."""
    partners = json.loads(run.partners or "[]")
    return [
        collaboration.Party(diagram.process_id, bpmn_engine.load_state(diagram, run.state)),
        *(
            collaboration.Party(
                p["process_id"],
                bpmn_engine.load_state(
                    definitions.diagram(p["process_id"], p["version"])
                    if p.get("version")
                    else diagram.partners[p["process_id"]],
                    p["state"],
                ),
                p.get("version"),
            )
            for p in partners
        ),
    ]


def _exchanged(definitions, diagram, parties, run_id, user, now):
    """The messages the run's instances threw, delivered among them: one step record each."""
    return [
        _step_record(
            "message_started" if moved["started"] else "message_delivered",
            moved["element_id"],
            user,
            {"name": moved["name"], "from": moved["by"], "to": moved["to"]},
            now,
        )
        for moved in collaboration.exchange(
            diagram, parties, {"case_no": run_id, ON_THE_SPOT_BY: None}, definitions.started_by
        )
    ]


def _record(run, parties, now):
    try:
        run.state = bpmn_engine.dump_state(parties[0].workflow)
        run.partners = json.dumps(
            [
                {
                    "process_id": party.process_id,
                    "version": party.version,
                    "state": bpmn_engine.dump_state(party.workflow),
                }
                for party in parties[1:]
            ],
            ensure_ascii=False,
        )
    except bpmn_engine.StateTooLarge as too_large:
        raise Conflict(str(too_large)) from None
    workflow = parties[0].workflow
    run.status = (
        "incident"
        if any(bpmn_engine.incident(party.workflow) for party in parties)
        else "completed"
        if bpmn_engine.is_completed(workflow)
        else "in_progress"
    )
    run.updated_at = now


def _step_record(kind, element_id, user, data, now):
    return {"at": now.isoformat(), "kind": kind, "element_id": element_id, "actor": user["username"], "data": data}


def _view(run, diagram, parties):
    """The run as the designer sees it: open tasks, what it waits for, its path and data (of
    all its instances; outcome and data are its own process's; ``instances`` lists them)."""
    workflow = parties[0].workflow
    end = bpmn_engine.end_event(workflow)
    paths = [bpmn_engine.path(party.workflow) for party in parties]
    return {
        "run_id": run.run_id,
        "process_key": run.process_key,
        "process_version": run.process_version,
        "name": run.name,
        "status": run.status,
        "rev": run.rev,
        "incident": next((found for party in parties if (found := bpmn_engine.incident(party.workflow))), None),
        "outcome": {"element_id": end, "name": _element_name(diagram, end)} if end else None,
        "open_tasks": [
            {
                key: task[key]
                for key in (
                    "id",
                    "element_id",
                    "name",
                    "role",
                    "candidate_groups",
                    "assignee",
                    "candidate_users",
                    "due",
                    "form",
                    "instructions",
                )
            }
            | {"department": task["department"] or task_department(task["role"], None), "process_key": party.process_id}
            for party in parties
            for task in bpmn_engine.open_user_tasks(party.workflow)
        ],
        "waiting_messages": [name for party in parties for name in bpmn_engine.waiting_messages(party.workflow)],
        "waiting_timers": [timer for party in parties for timer in bpmn_engine.waiting_timers(party.workflow)],
        "instances": [
            {
                "process_key": party.process_id,
                "completed": bpmn_engine.is_completed(party.workflow),
                "end_event": bpmn_engine.end_event(party.workflow),
            }
            for party in parties
        ],
        "path": {kind: sorted({element for path in paths for element in path[kind]}) for kind in paths[0]},
        "data": bpmn_engine.workflow_data(workflow),
        "steps": json.loads(run.steps),
        "started_by": run.started_by,
        "started_at": run.started_at.isoformat(),
        "updated_at": run.updated_at.isoformat(),
        "expires_at": run.expires_at.isoformat(),
    }


def _element_name(diagram, element_id):
    for process_spec in (
        diagram.spec,
        *diagram.subprocess_specs.values(),
        *(spec for partner in diagram.partners.values() for spec in (partner.spec, *partner.subprocess_specs.values())),
    ):
        for spec in process_spec.task_specs.values():
            if spec.bpmn_id == element_id:
                return spec.bpmn_name or element_id
    return element_id
