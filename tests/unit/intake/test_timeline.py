"""A case's status, deadline and result follow from its timeline, whatever order the
events arrived in."""

import itertools
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from services.common.workdays import WorkdayCalendar
from services.intake import timeline
from services.intake.models import Step

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkdayCalendar()


def at(day, hour=10):
    return datetime(2026, 11, day, hour, tzinfo=SHANGHAI).astimezone(timezone.utc)


def step(kind, when, **detail):
    return Step(key=f"{kind}:{when.isoformat()}", kind=kind, at=when, detail=detail)


def derive(*steps, limit=5):
    ordered = sorted(steps, key=lambda s: s.at)
    return timeline.derive("20261102000001", "MR-003", ordered, limit, CALENDAR)


def midnight_after(day):
    return datetime(2026, 11, day + 1, tzinfo=SHANGHAI).astimezone(timezone.utc)


# November 2026: the 2nd is a Monday; the 7th/8th and 14th/15th are weekends.
def test_a_supplement_request_after_acceptance_stops_the_clock_until_the_next_working_day():
    # Accepted Mon 2nd; 2 working days used (3rd, 4th) when the request is made on the 4th;
    # the supplements arrive Fri 6th; the clock restarts Mon 9th for the 3 days left.
    accepted, requested = step("accepted", at(2)), step("supplement_requested", at(4), missing_materials=["x"])
    assert derive(accepted, requested)["deadline"] is None
    assert derive(accepted, requested, step("supplement_received", at(6)))["deadline"] == midnight_after(11)


def test_an_extension_approved_by_the_chief_adds_its_working_days():
    extended = timeline.fact_from_event(
        "extended",
        {
            "case_no": "20261102000001",
            "extension_id": "e1",
            "days": 2,
            "reason": "现场核查",
            "approved_at": at(3).isoformat(),
            "approved_by": "chief",
        },
    )
    assert derive(step("accepted", at(2)), extended)["deadline"] == midnight_after(11)
    assert timeline.step_view(extended, public=True)["days"] == 2


SUBMITTED = step("submitted", at(2, 9))
REQUESTED = step("supplement_requested", at(2, 10), missing_materials=["safety_rules"], reason="缺少制度文件")
RECEIVED = step("supplement_received", at(3, 9), materials=["safety_rules"])
ACCEPTED = step("accepted", at(3, 10))
DECIDED = step("decided", at(5, 16), outcome="approved", certificate_no="JY16101000012345")
COLLECTED = step("collected", at(6, 9), how="in_person")


@pytest.mark.parametrize(
    "steps, status",
    [
        ((SUBMITTED,), "submitted"),
        ((SUBMITTED, REQUESTED), "awaiting_supplements"),
        ((SUBMITTED, REQUESTED, RECEIVED), "submitted"),
        ((SUBMITTED, REQUESTED, RECEIVED, ACCEPTED), "accepted"),
        ((SUBMITTED, ACCEPTED, DECIDED), "completed"),
        ((SUBMITTED, ACCEPTED, DECIDED, COLLECTED), "collected"),
        ((SUBMITTED, step("refused", at(2, 11), reason="不属于本机关职权范围")), "refused"),
    ],
)
def test_the_status_follows_from_the_facts(steps, status):
    assert derive(*steps)["status"] == status


def test_the_same_facts_in_any_order_give_the_same_state():
    facts = (SUBMITTED, REQUESTED, RECEIVED, ACCEPTED, DECIDED)
    states = {str(derive(*order)) for order in itertools.permutations(facts)}
    assert len(states) == 1


def test_a_waiting_case_names_the_missing_materials_and_has_no_deadline_before_acceptance():
    state = derive(SUBMITTED, REQUESTED)
    assert state["missing_materials"] == ["safety_rules"] and state["deadline"] is None


def test_an_accepted_case_has_its_deadline_and_acceptance_date():
    state = derive(SUBMITTED, REQUESTED, RECEIVED, ACCEPTED)
    assert state["accepted_at"] == ACCEPTED.at and state["deadline"] == midnight_after(10)
    assert state["missing_materials"] == []


def test_an_approved_case_shows_its_certificate_and_a_refused_one_its_reason():
    assert derive(SUBMITTED, ACCEPTED, DECIDED)["result"] == {
        "outcome": "approved",
        "certificate_no": "JY16101000012345",
    }
    no_number = derive(SUBMITTED, ACCEPTED, step("decided", at(5), outcome="approved"))
    assert no_number["result"]["certificate_no"] == "MR-003-20261102000001"
    refused = derive(SUBMITTED, ACCEPTED, step("decided", at(5), outcome="refused", reason="不符合条件"))
    assert refused["result"] == {"outcome": "refused", "reason": "不符合条件"} and refused["outcome"] == "refused"


def test_a_completed_process_decides_and_a_plain_step_is_no_fact():
    step_payload = {"case_no": "1", "rev": 2, "status": "in_progress", "current_step": "决定 Decide", "outcome": None}
    assert timeline.progress_fact(step_payload, at(3, 12)) is None
    completed = timeline.progress_fact(
        dict(step_payload, rev=3, status="completed", current_step=None, outcome="approved"), at(3, 11)
    )
    assert completed.key == "progressed:3"
    state = derive(SUBMITTED, ACCEPTED, completed)
    assert state["status"] == "completed" and state["outcome"] == "approved"


def test_a_fact_reads_back_as_it_was_stored():
    fact = timeline.Fact("refused:x", "refused", at(3), "clerk", {"reason": "不符合条件"})
    assert timeline.Fact.from_stored(fact.stored()) == fact
    assert "by" not in timeline.Fact("submitted", "submitted", at(3)).stored()


def test_a_designers_flow_ends_with_its_outcome_in_words_which_the_applicant_sees():
    ended = timeline.progress_fact(
        {
            "case_no": "20261102000001",
            "rev": 4,
            "status": "completed",
            "current_step": None,
            "outcome": None,
            "outcome_label": "准予许可 Permit granted",
        },
        at(4),
    )
    state = derive(SUBMITTED, ACCEPTED, ended)
    assert (state["status"], state["outcome"], state["outcome_label"]) == ("completed", None, "准予许可 Permit granted")
    assert timeline.step_view(ended, public=True)["outcome_label"] == "准予许可 Permit granted"
    assert derive(SUBMITTED, ACCEPTED)["outcome_label"] is None


def test_a_limit_running_into_a_year_not_yet_published_counts_on_its_statutory_holidays():
    accepted = step("accepted", datetime(2026, 12, 30, 10, tzinfo=timezone.utc))  # 18:00 in Shanghai
    # Dec 31, then 19 working days from 4 January (New Year's Day off): due Thursday 28 January.
    assert derive(SUBMITTED, accepted, limit=20)["deadline"] == datetime(2027, 1, 28, 16, tzinfo=timezone.utc)


def test_a_limit_past_the_calendar_gives_no_deadline_instead_of_failing():
    accepted = step("accepted", datetime(2099, 12, 30, 10, tzinfo=timezone.utc))
    assert derive(SUBMITTED, accepted, limit=20)["deadline"] is None


def test_an_event_becomes_a_keyed_fact_and_the_public_sees_no_usernames():
    fact = timeline.fact_from_event(
        "refused",
        {"case_no": "1", "refused_at": "2026-11-02T03:00:00+00:00", "refused_by": "clerk", "reason": "材料虚假"},
    )
    again = timeline.fact_from_event(
        "refused",
        {"case_no": "1", "refused_at": "2026-11-02T03:00:00+00:00", "refused_by": "clerk", "reason": "材料虚假"},
    )
    assert fact.key == again.key and fact.at == datetime(2026, 11, 2, 3, tzinfo=timezone.utc)
    assert timeline.step_view(fact, public=True) == {
        "kind": "refused",
        "label": "不予受理 Refused",
        "at": "2026-11-02T03:00:00+00:00",
        "reason": "材料虚假",
    }
    assert timeline.step_view(fact, public=False)["by"] == "clerk"


def test_a_case_not_accepted_stays_refused_when_its_flow_ends():
    refused = step("refused", at(2, 11), reason="不属于本机关职权范围")
    ended = step("decided", at(2, 11), outcome="refused")
    state = derive(SUBMITTED, refused, ended)
    assert (state["status"], state["outcome"]) == ("refused", "refused")
    assert state["result"] == {"outcome": "refused", "reason": "不属于本机关职权范围"}


def test_a_decision_on_the_spot_is_shown_to_the_public_without_who_or_where():
    fact = timeline.fact_from_event(
        "decided",
        {
            "case_no": "1",
            "decided_at": "2026-11-02T03:00:00+00:00",
            "decided_by": "hr_chief",
            "outcome": "approved",
            "on_the_spot": True,
            "window": 12,
        },
    )

    assert timeline.decided_on_the_spot([fact]) is True
    assert timeline.step_view(fact, public=True) == {
        "kind": "decided",
        "label": "办结 Decided",
        "outcome": "approved",
        "at": "2026-11-02T03:00:00+00:00",
        "on_the_spot": True,
    }
    staff = timeline.step_view(fact, public=False)
    assert (staff["by"], staff["window"]) == ("hr_chief", 12)
    later = timeline.fact_from_event(
        "decided",
        {
            "case_no": "2",
            "decided_at": "2026-11-02T03:00:00+00:00",
            "decided_by": "chief",
            "outcome": "approved",
            "on_the_spot": False,
        },
    )
    assert timeline.decided_on_the_spot([later]) is False and timeline.decided_on_the_spot([]) is False
