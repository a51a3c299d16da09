"""Evaluations (好差评): one per case, five levels. The bottom two are bad reviews: each
opens a rectification (整改) due in ``RECTIFICATION_WORKDAYS`` working days, closed only
with a call-back note (回访) — every bad review is called back."""

import mongoengine as me

from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.staff_roles import may_see, sees_all
from services.common.time import isoformat
from services.monitor import metrics, models

LEVELS = {5: "very_satisfied", 4: "satisfied", 3: "basically_satisfied", 2: "dissatisfied", 1: "very_dissatisfied"}
BAD = {1, 2}


class Evaluations:
    def __init__(self, calendar, rectification_workdays=15):
        self.calendar = calendar
        self.rectification_workdays = rectification_workdays

    def evaluate(self, case_no, level, comment, now):
        if level not in LEVELS:
            raise InvalidInput(
                "level is 1 (very dissatisfied) to 5 (very satisfied)", [{"field": "level", "message": "1 to 5"}]
            )
        watch = models.CaseWatch.objects(case_no=case_no).first()
        evaluation = models.Evaluation(
            case_no=case_no,
            level=level,
            comment=(comment or "").strip() or None,
            evaluated_at=now,
            department=watch.department if watch else None,
            item_code=watch.item_code if watch else None,
        )
        if level in BAD:
            evaluation.rectification_status = "open"
            evaluation.rectify_by = self.calendar.deadline_instant(now, self.rectification_workdays)
        try:
            evaluation.save(force_insert=True)
        except me.NotUniqueError:
            raise Conflict(f"case {case_no} has already been evaluated") from None
        metrics.EVALUATIONS.labels(LEVELS[level]).inc()
        return view(evaluation)

    def rectifications(self, viewer, status="open"):
        query = {"rectification_status": status}
        if not sees_all(viewer):
            query["department"] = (viewer or {}).get("department")
        return [view(e) for e in models.Evaluation.objects(**query).order_by("rectify_by")]

    def rectify(self, case_no, rectification, callback_note, handler, now):
        if not (callback_note or "").strip() or not (rectification or "").strip():
            raise InvalidInput(
                "a rectification needs what was done and the call-back note",
                [{"field": "callback_note", "message": "required"}, {"field": "rectification", "message": "required"}],
            )
        evaluation = models.Evaluation.objects(case_no=case_no).first()
        if evaluation is None or evaluation.rectification_status is None or not may_see(handler, evaluation.department):
            raise NotFound(f"no bad review of case {case_no} to rectify")
        done = models.Evaluation.objects(case_no=case_no, rectification_status="open").modify(
            new=True,
            set__rectification_status="done",
            set__rectification=rectification.strip(),
            set__callback_note=callback_note.strip(),
            set__rectified_by=handler.get("username"),
            set__rectified_at=now,
        )
        if done is None:
            raise Conflict(f"the rectification of case {case_no} is already done")
        return view(done)


def view(evaluation):
    return {
        "case_no": evaluation.case_no,
        "level": evaluation.level,
        "level_name": LEVELS[evaluation.level],
        "bad": evaluation.level in BAD,
        "comment": evaluation.comment,
        "department": evaluation.department,
        "item_code": evaluation.item_code,
        "evaluated_at": isoformat(evaluation.evaluated_at),
        "rectification_status": evaluation.rectification_status,
        "rectify_by": isoformat(evaluation.rectify_by),
        "rectification": evaluation.rectification,
        "callback_note": evaluation.callback_note,
        "rectified_by": evaluation.rectified_by,
        "rectified_at": isoformat(evaluation.rectified_at),
    }
