"""The hall's acceptance convention (docs/architecture/approval.md) and the domain events it yields.

Every hall flow starts with the intake window's user task `accept` (lane/group `clerk`, form
field `intake_decision` = accept / refuse / supplement, with `reason` and `missing_materials`);
`supplement` waits for the message `supplement_received` and comes back to `accept`; the
process ends in the end events `approved` or `refused`. A diagram *claims* to be a hall flow
when it has an element `accept` or an end event `approved`; then the whole convention is
checked at deployment. Other diagrams (a designer's experiment, a sub-process) run without
the hall's events.

The approval service turns the convention's moments into events, so that intake, payment and
monitor never need to know BPMN.
"""

import re

from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import (
    IntermediateCatchEvent,
    ReceiveTask,
)
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

from services.approval.worklist import ON_THE_SPOT_BY
from services.common.contracts import events
from services.common.errors import InvalidInput

ACCEPT = "accept"
INTAKE_DECISION = "intake_decision"
INTAKE_OPTIONS = ("accept", "refuse", "supplement")
SUPPLEMENT_RECEIVED = "supplement_received"
PAYMENT_CONFIRMED = "payment_confirmed"
# Messages only the hall's own services deliver (from intake's and payment's events).
HALL_MESSAGES = frozenset({SUPPLEMENT_RECEIVED, PAYMENT_CONFIRMED})
WINDOW = "window"  # the form field of the window a decision is made at
END_EVENTS = ("approved", "refused")
CLERK = "clerk"
RETURN = "return"  # 退回: an enum option sending the case back to an earlier step
RETURN_REASON = "return_reason"
WINDOW = "window"  # 办理窗口: a decision form's field naming the window it was made at


class ConventionBroken(ValueError):
    def __init__(self, element_id, message):
        super().__init__(f"{element_id}: {message}")
        self.element_id = element_id
        self.message = message


def claims_convention(process_spec):
    ids = {spec.bpmn_id for spec in process_spec.task_specs.values()}
    return ACCEPT in ids or "approved" in ids


def check_convention(process_spec):
    """Raise ConventionBroken naming the element when a hall flow breaks the convention."""
    if not claims_convention(process_spec):
        return
    by_id = {spec.bpmn_id: spec for spec in process_spec.task_specs.values() if spec.bpmn_id}
    accept = by_id.get(ACCEPT)
    if not isinstance(accept, UserTask):
        raise ConventionBroken(ACCEPT, "a hall flow starts with the user task `accept` (受理)")
    if CLERK not in (accept.lane, *accept.extensions.get("candidateGroups", ())):
        raise ConventionBroken(ACCEPT, "`accept` belongs to the intake window: lane or candidate group `clerk`")
    fields = {field.id: field for field in accept.form.fields}
    decision = fields.get(INTAKE_DECISION)
    options = {option.id for option in getattr(decision, "options", ())}
    if decision is None or options != set(INTAKE_OPTIONS):
        raise ConventionBroken(
            ACCEPT,
            f"`accept` needs the enum form field `{INTAKE_DECISION}` with the options {', '.join(INTAKE_OPTIONS)}",
        )
    for name in ("reason", "missing_materials"):
        if name not in fields:
            raise ConventionBroken(ACCEPT, f"`accept` needs the form field `{name}`")
    _check_accept_comes_first(process_spec)
    for end in END_EVENTS:
        if not isinstance(by_id.get(end), EndEvent):
            raise ConventionBroken(end, f"a hall flow ends in the end events {' and '.join(END_EVENTS)}")
    waits = [
        spec
        for spec in by_id.values()
        if isinstance(spec, (IntermediateCatchEvent, ReceiveTask))
        and getattr(spec.event_definition, "name", None) == SUPPLEMENT_RECEIVED
    ]
    if not waits:
        raise ConventionBroken(
            ACCEPT,
            f"a hall flow waits for the message `{SUPPLEMENT_RECEIVED}` "
            "(intermediate message catch event) when supplements are asked for",
        )


def _check_accept_comes_first(process_spec):
    seen, todo = set(), list(process_spec.start.outputs)
    while todo:
        spec = todo.pop()
        if spec.name in seen or spec.bpmn_id == ACCEPT:
            continue
        seen.add(spec.name)
        if isinstance(spec, UserTask):
            raise ConventionBroken(spec.bpmn_id, "`accept` must be the first user task of a hall flow")
        todo.extend(spec.outputs)


def check_intake_decision(data):
    """A refusal needs a reason; a supplement request names the missing materials."""
    errors = []
    if data.get(INTAKE_DECISION) == "refuse" and not data.get("reason"):
        errors.append({"field": "reason", "message": "a refusal needs a reason"})
    if data.get(INTAKE_DECISION) == "supplement" and not data.get("missing_materials"):
        errors.append({"field": "missing_materials", "message": "name the missing materials"})
    if errors:
        raise InvalidInput("the intake decision is incomplete", errors)


def check_return(form, data):
    """A return (退回) is explained: choosing the option `return` in a task's form needs
    `return_reason` when that form has the field."""
    returned = any(f.get("type") == "enum" and data.get(f["id"]) == RETURN for f in form)
    if returned and any(f["id"] == RETURN_REASON for f in form) and not data.get(RETURN_REASON):
        raise InvalidInput("a return needs a reason", [{"field": RETURN_REASON, "message": "a return needs a reason"}])


def check_window(data, decided_on_the_spot):
    """A decision made on the spot (首席代表制) says where: a form's `window` (办理窗口) is
    required when the chief who accepted the case on the spot decides it."""
    if decided_on_the_spot and data.get(WINDOW) is None:
        raise InvalidInput(
            "a decision on the spot names the window it is made at",
            [{"field": WINDOW, "message": "is required for a decision on the spot"}],
        )


def materials_list(text):
    """`missing_materials` is typed as text in the form; events carry it as a list."""
    if isinstance(text, list):
        return text
    return [part.strip() for part in re.split(r"[,，、;；\n]", text or "") if part.strip()]


def domain_events(instance, completed, end_event, newly_waiting, process_data, actor, now):
    """The hall's events for one step of an instance, in order.

    `completed` is ``(element_id, data)`` of the user task just completed (or None);
    `end_event` is the end event the process reached in this step (or None); `newly_waiting`
    the messages the instance started to wait for in this step. Reaching a wait for
    `payment_confirmed` asks payment for a notice (`payment_required`), with the fee the flow
    computed (`fee_fen` in the process data, e.g. from a DMN table) when there is one."""
    at = now.isoformat()
    found = []
    if completed is not None and completed[0] == ACCEPT:
        data = completed[1]
        decision = data.get(INTAKE_DECISION)
        if decision == "accept":
            found.append(
                events.CASE_ACCEPTED.event(
                    case_no=instance.case_no,
                    item_code=instance.item_code,
                    department=instance.department,
                    accepted_at=at,
                    accepted_by=actor,
                )
            )
        elif decision == "refuse":
            found.append(
                events.CASE_REFUSED.event(
                    case_no=instance.case_no, reason=data.get("reason"), refused_at=at, refused_by=actor
                )
            )
        elif decision == "supplement":
            found.append(
                events.SUPPLEMENT_REQUESTED.event(
                    case_no=instance.case_no,
                    missing_materials=materials_list(data.get("missing_materials")),
                    reason=data.get("reason"),
                    requested_at=at,
                )
            )
    if PAYMENT_CONFIRMED in newly_waiting:
        fee = process_data.get("fee_fen")
        found.append(
            events.PAYMENT_REQUIRED.event(
                case_no=instance.case_no,
                item_code=instance.item_code,
                department=instance.department,
                fee_fen=fee if isinstance(fee, int) and not isinstance(fee, bool) else None,
                requested_at=at,
            )
        )
    if end_event in END_EVENTS:
        found.append(
            events.CASE_DECIDED.event(
                case_no=instance.case_no,
                outcome=end_event,
                decided_at=at,
                decided_by=actor,
                **decided_where(completed, process_data, actor),
            )
        )
    return found


def decided_where(completed, process_data, actor):
    """A decision is *on the spot* (当场办结) when the person who accepted the case through the
    on-the-spot claim decides it (not a refusal at acceptance); the decision's form field
    `window` (办理窗口), when it has one, says at which window."""
    window = process_data.get(WINDOW)
    return {
        "on_the_spot": actor is not None
        and process_data.get(ON_THE_SPOT_BY) == actor
        and (completed is None or completed[0] != ACCEPT),
        "window": window if isinstance(window, int) and not isinstance(window, bool) else None,
    }
