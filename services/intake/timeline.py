"""A case's timeline: the facts of its life, and what follows from them.

Facts arrive as events from the approval service (accepted, refused, supplements requested,
decided, the process completed), from payment, and from intake itself (supplements received,
collected). Events repeat and may come out of order, so every fact has a key (a repeat is a
no-op) and the case's status, deadline and result are *derived* from the whole set each time,
never stepped from the previous status.

A plain step of the approval (a task done, the case moving on to the next) changes none of
that, so intake stores nothing for it: the steps done and the current step are read from the
approval when a case is shown (``case_progress``), and merged into the timeline there.

Statuses: ``submitted`` (待受理), ``awaiting_supplements`` (待补正), ``accepted`` (已受理,
under review), ``refused`` (不予受理), ``completed`` (办结, with an outcome), ``collected``
(已出件). A case has its result, and may be evaluated (好差评), once ``completed`` or
``collected``.

The approval's current step follows the fact that moved it: a supplement the applicant just
gave is recorded here at once, while the approval may still be waiting for it. A step the
approval reached before the latest supplement arrived is therefore past, and not shown until
the approval moves again.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from services.common import deadlines
from services.common.fields import from_millis, to_millis
from services.common.workdays import CalendarRangeError

log = logging.getLogger(__name__)

LABELS = {
    "submitted": "申请提交 Submitted",
    "supplement_requested": "补正告知 Supplements requested",
    "materials_supplied": "补交材料 Materials supplied",
    "supplement_received": "补正材料收齐 Supplements complete",
    "accepted": "受理 Accepted",
    "refused": "不予受理 Refused",
    "progressed": "办理环节 Step",
    "task_done": "办理环节完成 Step done",
    "payment_notice_issued": "开具缴款通知书 Payment notice issued",
    "payment_confirmed": "缴费确认 Fee paid",
    "decided": "办结 Decided",
    "collected": "出件 Collected",
    "extended": "延期 Time limit extended",
    "suspended": "特别程序，暂停计时 Special procedure: the time limit stops",
    "resumed": "特别程序结束，恢复计时 Special procedure over: the time limit runs again",
}
AWAITING = {
    "submitted": "等待窗口受理 Waiting for the intake window to accept the application",
    "awaiting_supplements": "等待申请人补正材料 Waiting for the applicant's supplements",
    "accepted": "审查办理中 Under review",
    "refused": None,
    "completed": "等待领取结果 Waiting for the applicant to collect the result",
    "collected": None,
}
# A case the applicant has received an outcome of: decided (and collected), or refused at intake
# with its written reason (不予受理 is a service received, rated like any other: 好差评).
EVALUABLE = ("refused", "completed", "collected")
# What the public view may show of each fact's detail: never a person's data or a username.
PUBLIC_DETAIL = {
    "extended": ("days",),
    "suspended": ("procedure",),
    "supplement_requested": ("missing_materials", "reason"),
    "materials_supplied": ("materials",),
    "supplement_received": ("materials",),
    "refused": ("reason",),
    "progressed": ("current_step", "outcome_label"),
    "task_done": ("step",),
    "decided": ("outcome", "on_the_spot"),
    "collected": ("how",),
    "payment_notice_issued": ("notice_no", "total_fen", "due_on"),
}


@dataclass
class Fact:
    """One moment of a case's timeline, as the hot paths read and write it (plain, not the
    ``models.Step`` document it is stored as). ``key`` makes a repeated event a no-op."""

    key: str
    kind: str
    at: datetime
    by: str = None
    detail: dict = field(default_factory=dict)

    @classmethod
    def from_stored(cls, son):
        return cls(son["key"], son["kind"], from_millis(son["at"]), son.get("by"), son.get("detail") or {})

    def stored(self):
        son = {"key": self.key, "kind": self.kind, "at": to_millis(self.at), "detail": self.detail}
        return son if self.by is None else dict(son, by=self.by)


def instant(value):
    """An event's ISO 8601 time as an aware datetime (naive means UTC)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _last(steps, kind):
    found = [s for s in steps if s.kind == kind]
    return found[-1] if found else None


def open_request(steps):
    """The supplement request not yet answered in full, if any."""
    request, received = _last(steps, "supplement_requested"), _last(steps, "supplement_received")
    if request is None or (received is not None and received.at >= request.at):
        return None
    return request


def supplied_since(steps, request):
    return {
        code
        for s in steps
        if s.kind == "materials_supplied" and s.at >= request.at
        for code in s.detail.get("materials", [])
    }


def _decision(steps):
    """The decided fact, or the approval's progress saying the process completed."""
    decided = _last(steps, "decided")
    if decided is not None:
        return decided.detail.get("outcome"), decided
    progress = sorted((s for s in steps if s.kind == "progressed"), key=lambda s: s.detail.get("rev", 0))
    if progress and progress[-1].detail.get("status") == "completed":
        return progress[-1].detail.get("outcome"), progress[-1]
    return None, None


def derive(case_no, item_code, steps, limit_days, calendar):
    """Status, outcome, result, payment due, missing materials, acceptance and deadline."""
    accepted, refused = _last(steps, "accepted"), _last(steps, "refused")
    request = open_request(steps)
    outcome, decided = _decision(steps)
    if _last(steps, "collected"):
        status = "collected"
    elif refused is not None:
        # Not accepted (不予受理): the flow also ends, but the case never came to a decision.
        status, outcome = "refused", "refused"
    elif decided is not None:
        status = "completed"
    elif request is not None and (accepted is None or request.at > accepted.at):
        status = "awaiting_supplements"
    elif accepted is not None:
        status = "accepted"
    else:
        status = "submitted"
    return {
        "status": status,
        "outcome": outcome,
        "outcome_label": _outcome_label(steps),
        "result": _result(case_no, item_code, outcome, decided, refused),
        "payment_due": _payment_due(steps) if status == "accepted" else None,
        "missing_materials": list(request.detail.get("missing_materials", [])) if request else [],
        "accepted_at": accepted.at if accepted else None,
        "deadline": _deadline(case_no, limit_days, accepted, steps, calendar)
        if status in ("accepted", "awaiting_supplements", "completed", "collected")
        else None,
    }


def decided_on_the_spot(steps):
    """True when the case was decided on the spot (当场办结) by the chief representative."""
    decided = _last(steps, "decided")
    return bool(decided is not None and decided.detail.get("on_the_spot"))


def _outcome_label(steps):
    """How the approval's process ended, in words (its end event's outcome label or name)."""
    progress = sorted((s for s in steps if s.kind == "progressed"), key=lambda s: s.detail.get("rev", 0))
    return (
        progress[-1].detail.get("outcome_label")
        if progress and progress[-1].detail.get("status") == "completed"
        else None
    )


def current_step(progress, steps):
    """The step the approval is at (``progress``: its ``case_progress`` answer, None before the
    process starts), unless a supplement arrived after the approval last moved (see above)."""
    received = _last(steps, "supplement_received")
    if progress is None or (received is not None and received.at > instant(progress["moved_at"])):
        return None
    return progress.get("current_step")


def _payment_due(steps):
    """The payment notice issued for the case and not paid yet: what the applicant pays, where."""
    paid = {s.detail.get("notice_no") for s in steps if s.kind == "payment_confirmed"}
    notice = _last(steps, "payment_notice_issued")
    if notice is None or notice.detail.get("notice_no") in paid:
        return None
    return {name: notice.detail.get(name) for name in ("notice_no", "total_fen", "due_on")}


def _result(case_no, item_code, outcome, decided, refused):
    if refused is not None:
        return {"outcome": "refused", "reason": refused.detail.get("reason") or ""}
    if outcome == "approved":
        # The approval may name the certificate; otherwise the hall's own number is used.
        return {
            "outcome": "approved",
            "certificate_no": decided.detail.get("certificate_no") or f"{item_code}-{case_no}",
        }
    if outcome == "refused":
        return {"outcome": "refused", "reason": decided.detail.get("reason") or ""}
    return {}


def clock_facts(limit_days, accepted, steps):
    """The facts the hall's time-limit rule (``services.common.deadlines``) counts on."""
    return deadlines.CaseFacts(
        limit_days=limit_days,
        accepted_at=accepted.at if accepted else None,
        supplement_requested=tuple(s.at for s in steps if s.kind == "supplement_requested"),
        supplement_received=tuple(s.at for s in steps if s.kind == "supplement_received"),
        extension_days=sum(s.detail.get("days", 0) for s in steps if s.kind == "extended"),
        suspended=tuple(s.at for s in steps if s.kind == "suspended"),
        resumed=tuple(s.at for s in steps if s.kind == "resumed"),
    )


def _deadline(case_no, limit_days, accepted, steps, calendar):
    if accepted is None:
        return None
    try:
        return deadlines.deadline(clock_facts(limit_days, accepted, steps), calendar)
    except CalendarRangeError as exc:
        log.warning("no deadline for case %s: %s", case_no, exc)
        return None


def step_view(step, public):
    view = {"kind": step.kind, "label": LABELS.get(step.kind, step.kind), "at": step.at.isoformat()}
    if public:
        allowed = PUBLIC_DETAIL.get(step.kind, ())
        view.update({k: v for k, v in step.detail.items() if k in allowed})
    else:
        view.update(step.detail, by=step.by)
    return view


def steps_view(steps, progress, public):
    """The timeline as shown: intake's facts and the approval's tasks done, oldest first."""
    done = [
        Fact(f"task:{n}", "task_done", instant(t["at"]), t.get("by"), {"step": t["name"]})
        for n, t in enumerate((progress or {}).get("steps", []))
    ]
    return [step_view(s, public) for s in sorted([*steps, *done], key=lambda s: s.at)]


# Event kind -> (field with its time, field with who did it, detail fields kept).
EVENT_FACTS = {
    "accepted": ("accepted_at", "accepted_by", ()),
    "refused": ("refused_at", "refused_by", ("reason",)),
    "supplement_requested": ("requested_at", "requested_by", ("missing_materials", "reason")),
    "decided": ("decided_at", "decided_by", ("outcome", "certificate_no", "reason", "on_the_spot", "window")),
    "payment_notice_issued": ("issued_at", None, ("notice_no", "total_fen", "due_on")),
    "payment_confirmed": ("confirmed_at", None, ("notice_no", "amount_fen")),
    "extended": ("approved_at", "approved_by", ("days", "reason")),
    "suspended": ("suspended_at", "suspended_by", ("procedure", "reason")),
    "resumed": ("resumed_at", "resumed_by", ()),
}
NOTICE_FACTS = ("payment_notice_issued", "payment_confirmed")  # one per notice, whenever it repeats


def fact_from_event(kind, payload):
    """The timeline step an event of another service stands for; keyed by kind and time
    (or the payment notice), so a repeated event adds nothing."""
    time_field, by_field, kept = EVENT_FACTS[kind]
    at = instant(payload[time_field])
    key = f"{kind}:{payload['notice_no']}" if kind in NOTICE_FACTS else f"{kind}:{at.isoformat()}"
    return Fact(
        key=key,
        kind=kind,
        at=at,
        by=payload.get(by_field) if by_field else None,
        detail={name: payload[name] for name in kept if payload.get(name) is not None},
    )


def progress_fact(payload, now):
    """The approval's progress when its process completed (a case decided without a
    ``case_decided``, e.g. at an end event of another name); None for a plain step, which
    intake does not store (``rev`` orders progress; repeats share the key)."""
    if payload.get("status") != "completed":
        return None
    return Fact(
        key=f"progressed:{payload['rev']}",
        kind="progressed",
        at=now,
        detail={
            "rev": payload["rev"],
            "status": "completed",
            "outcome": payload.get("outcome"),
            "outcome_label": payload.get("outcome_label"),
        },
    )
