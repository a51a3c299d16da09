"""The hall's events, one contract each: who publishes it (``source``: nameko's event exchange
is ``<source>.events``), its name (the routing key) and its payload as a ``TypedDict``.

Events are nameko events: durable, at-least-once, so every handler is idempotent (keyed by
case number and by the instance's ``rev`` or the event's own time) and tolerates reordering.

A producer builds a payload with ``CONTRACT.event(**fields)`` (``(name, payload)``, what
``dispatch`` and the approval's outbox take): every key of the payload, no other, each of
its type. A consumer gets the payload through ``CONTRACT.parse`` (``services.common.
entrypoints.event_handler`` does it): the ``Required`` keys must be there and every known
key present must have its type; keys it does not know pass (a newer producer may add one).
``NotRequired`` marks a key consumers read with a default, so a payload of an earlier
release without it (a step still in the approval's outbox) is handled as before.
The wire format is the payload itself, JSON: plain strings, numbers, lists and objects.
"""

import types
import typing
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NotRequired, TypedDict


class ContractBroken(ValueError):
    """A payload that does not fit its event's contract: a producer or consumer is wrong."""


@dataclass(frozen=True)
class Event:
    source: str
    name: str
    payload: type  # a TypedDict

    @property
    def exchange(self):
        """nameko's event exchange of the source service."""
        return f"{self.source}.events"

    @cached_property
    def fields(self):
        return typing.get_type_hints(self.payload)

    @property
    def required(self):
        return self.payload.__required_keys__

    def build(self, **fields):
        """The payload: every field of the contract, no other, each of its type."""
        missing, unknown = self.fields.keys() - fields.keys(), fields.keys() - self.fields.keys()
        if missing or unknown:
            raise ContractBroken(f"{self.name}: missing {sorted(missing)}, unknown {sorted(unknown)}")
        return self._typed(fields)

    def event(self, **fields):
        """``(name, payload)``, as ``dispatch`` and the approval's outbox take it."""
        return self.name, self.build(**fields)

    def parse(self, payload):
        """The payload as a consumer may read it (the same dict): its required keys there,
        every known key of its type."""
        if not isinstance(payload, dict):
            raise ContractBroken(f"{self.name}: the payload is not an object: {payload!r}")
        missing = self.required - payload.keys()
        if missing:
            raise ContractBroken(f"{self.name}: missing {sorted(missing)}")
        return self._typed(payload)

    def _typed(self, payload):
        wrong = [key for key, kind in self.fields.items() if key in payload and not _fits(payload[key], kind)]
        if wrong:
            raise ContractBroken(
                f"{self.name}: " + ", ".join(f"{key} is not {self.fields[key]}: {payload[key]!r}" for key in wrong)
            )
        return payload


def _fits(value, kind):
    if kind is Any:
        return True
    if kind is type(None):
        return value is None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, option) for option in typing.get_args(kind))
    if origin is list:
        (item,) = typing.get_args(kind)
        return isinstance(value, list) and all(_fits(v, item) for v in value)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, origin or kind)


# -- intake ------------------------------------------------------------------------------


class CaseSubmitted(TypedDict):
    """An application is registered; all of the item's version the case was submitted under
    (``process_version`` is the item's version policy: None runs the latest). Its consumers
    read the item's facts with a default, so None stands for a fact not given."""

    case_no: str
    item_code: NotRequired[str | None]
    item_version: NotRequired[int | None]
    item_name: NotRequired[str | None]
    department: str
    process_key: str
    process_version: NotRequired[int | None]
    kind: NotRequired[str | None]
    on_the_spot: NotRequired[bool | None]
    promised_limit_days: NotRequired[int | None]
    legal_limit_days: NotRequired[int | None]
    special_procedures: NotRequired[list[str] | None]
    submitted_at: NotRequired[str | None]


class SupplementReceived(TypedDict):
    """The applicant supplied what was asked."""

    case_no: str
    materials: NotRequired[list[str]]
    received_at: str


class CaseCollected(TypedDict):
    """The result was handed over."""

    case_no: str
    collected_at: str
    how: str


CASE_SUBMITTED = Event("intake", "case_submitted", CaseSubmitted)
SUPPLEMENT_RECEIVED = Event("intake", "supplement_received", SupplementReceived)
CASE_COLLECTED = Event("intake", "case_collected", CaseCollected)


# -- approval ----------------------------------------------------------------------------


class CaseProgressed(TypedDict):
    """The instance changed (at ``rev``); steps and outcome in words, ``outcome`` the hall's
    decision code (``approved``/``refused``) when the flow ended in one."""

    case_no: str
    rev: int
    status: NotRequired[str]
    current_step: NotRequired[str | None]
    outcome: NotRequired[str | None]
    outcome_label: NotRequired[str | None]


class CaseAccepted(TypedDict):
    """``accept`` completed with ``accept``."""

    case_no: str
    item_code: NotRequired[str | None]
    department: NotRequired[str | None]
    accepted_at: str
    accepted_by: NotRequired[str | None]


class CaseRefused(TypedDict):
    """``accept`` completed with ``refuse``."""

    case_no: str
    reason: NotRequired[str | None]
    refused_at: str
    refused_by: NotRequired[str | None]


class SupplementRequested(TypedDict):
    """``accept`` completed with ``supplement``."""

    case_no: str
    missing_materials: NotRequired[list[str]]
    reason: NotRequired[str | None]
    requested_at: str


class PaymentRequired(TypedDict):
    """The flow reaches its payment step (a message catch event ``payment_confirmed``);
    ``fee_fen`` when the flow computed it (e.g. by DMN), else payment assesses the catalog's
    fee rules."""

    case_no: str
    item_code: str | None
    department: NotRequired[str | None]
    fee_fen: NotRequired[int | None]
    requested_at: NotRequired[str]


class CaseDecided(TypedDict):
    """The process ended at ``approved`` / ``refused``; on the spot (首席代表制) at ``window``."""

    case_no: str
    outcome: str
    decided_at: str
    decided_by: NotRequired[str | None]
    on_the_spot: NotRequired[bool]
    window: NotRequired[int | None]


CASE_PROGRESSED = Event("approval", "case_progressed", CaseProgressed)
# The same payload, once more, when the step ended the process: a listener that cares only
# for ends (intake) binds to it and is not woken by every plain step.
PROCESS_COMPLETED = Event("approval", "process_completed", CaseProgressed)
CASE_ACCEPTED = Event("approval", "case_accepted", CaseAccepted)
CASE_REFUSED = Event("approval", "case_refused", CaseRefused)
SUPPLEMENT_REQUESTED = Event("approval", "supplement_requested", SupplementRequested)
PAYMENT_REQUIRED = Event("approval", "payment_required", PaymentRequired)


class MessageThrown(TypedDict):
    """A message an instance threw that nothing in it caught, for the approval service itself
    to deliver (``InstanceRepository.route``): to the case's instance that waits for it, else
    a partner process it starts."""

    case_no: str
    name: str
    message_id: str
    data: Any
    correlations: NotRequired[dict | None]
    thrown_by: NotRequired[str]
    process_key: NotRequired[str | None]
    process_version: NotRequired[int | None]


CASE_DECIDED = Event("approval", "case_decided", CaseDecided)
MESSAGE_THROWN = Event("approval", "message_thrown", MessageThrown)


# -- monitor -----------------------------------------------------------------------------


class CaseExtended(TypedDict):
    """An approved extension (延期); ``deadline`` the case's new one (None while its clock is stopped)."""

    case_no: str
    extension_id: NotRequired[str]
    days: NotRequired[int]
    reason: NotRequired[str | None]
    approved_by: NotRequired[str | None]
    approved_at: str
    deadline: NotRequired[str | None]


class CaseSuspended(TypedDict):
    """A special procedure (特别程序) starts: the case's clock stops."""

    case_no: str
    procedure: NotRequired[str]
    reason: NotRequired[str | None]
    suspended_by: NotRequired[str | None]
    suspended_at: str


class CaseResumed(TypedDict):
    """The special procedure ended: the clock runs again, to ``deadline``."""

    case_no: str
    resumed_by: NotRequired[str | None]
    resumed_at: str
    deadline: NotRequired[str | None]


class ClockSet(TypedDict):
    """The platform clock moved (demo mode): every process follows ``offset_ms``."""

    offset_ms: int
    now: NotRequired[str]


CASE_EXTENDED = Event("monitor", "case_extended", CaseExtended)
CASE_SUSPENDED = Event("monitor", "case_suspended", CaseSuspended)
CASE_RESUMED = Event("monitor", "case_resumed", CaseResumed)
CLOCK_SET = Event("monitor", "clock_set", ClockSet)


# -- payment -----------------------------------------------------------------------------


class PaymentNoticeIssued(TypedDict):
    """A notice with something to pay was issued; ``due_on`` a hall day."""

    case_no: str
    notice_no: str
    total_fen: NotRequired[int]
    due_on: NotRequired[str]
    issued_at: str


class PaymentConfirmed(TypedDict):
    """The bank confirmed a payment notice (or it had nothing to pay)."""

    case_no: str
    notice_no: str
    amount_fen: NotRequired[int]
    receipt_no: NotRequired[str | None]
    confirmed_at: str


PAYMENT_NOTICE_ISSUED = Event("payment", "payment_notice_issued", PaymentNoticeIssued)
PAYMENT_CONFIRMED = Event("payment", "payment_confirmed", PaymentConfirmed)


# -- queue -------------------------------------------------------------------------------


class Ticket(TypedDict):
    """A ticket without personal data."""

    ticket_id: str
    number: str
    category: str
    priority: str
    state: str
    window: int | None
    issued_at: str | None


class TicketCalled(Ticket):
    """``call`` as the board shows it: ``{seq, ticket_id, number, day, window, category,
    recall, text_zh, text_en, called_at}``."""

    call: dict
    first_call: bool


class ServiceFinished(Ticket):
    service_seconds: int


class TicketTransferred(Ticket):
    from_window: int


class TicketAbandoned(TypedDict):
    ticket_id: str


class Appointment(TypedDict):
    code: str
    category: str
    day: str
    slot: str
    state: str
    starts_at: str | None
    checkin_closes_at: str | None
    ticket_id: str | None


TICKET_ISSUED = Event("queue", "ticket_issued", Ticket)
TICKET_CALLED = Event("queue", "ticket_called", TicketCalled)
TICKET_NO_SHOW = Event("queue", "ticket_no_show", Ticket)
SERVICE_STARTED = Event("queue", "service_started", Ticket)
SERVICE_FINISHED = Event("queue", "service_finished", ServiceFinished)
TICKET_TRANSFERRED = Event("queue", "ticket_transferred", TicketTransferred)
TICKET_ABANDONED = Event("queue", "ticket_abandoned", TicketAbandoned)
APPOINTMENT_BOOKED = Event("queue", "appointment_booked", Appointment)
APPOINTMENT_CANCELLED = Event("queue", "appointment_cancelled", Appointment)
APPOINTMENT_CHECKED_IN = Event("queue", "appointment_checked_in", Appointment)
APPOINTMENT_NO_SHOW = Event("queue", "appointment_no_show", Appointment)
