"""Timer events in the engine and the scheduler's alarm, without broker or store: due times
come from the platform clock, survive serialization, and fire only when due."""

from datetime import timedelta
from pathlib import Path

import pytest

from services.approval import bpmn_engine
from services.approval.scheduler import Alarm
from services.common import time as platform_time
from services.common.workdays import WorkdayCalendar

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture
def moved_clock():
    """Moves the platform clock; puts it back afterwards."""
    yield lambda offset: platform_time.set_clock_offset(offset)
    platform_time.set_clock_offset(timedelta(0))


def diagram(name):
    return bpmn_engine.parse_diagram((FIXTURES / name).read_bytes(), name)


def test_a_bare_iso_duration_is_due_that_long_after_the_timer_starts_waiting():
    before = platform_time.utcnow()
    workflow = bpmn_engine.start(diagram("timer_escalation.bpmn"), {"case_no": "1"})
    due = bpmn_engine.next_timer(workflow)
    assert before + timedelta(seconds=1) <= due <= platform_time.utcnow() + timedelta(seconds=1)


def test_a_timer_fires_only_when_due_by_the_platform_clock_and_survives_serialization(moved_clock):
    parsed = diagram("timer_escalation.bpmn")
    workflow = bpmn_engine.start(parsed, {"case_no": "1"})
    assert bpmn_engine.fire_due_timers(workflow) == []

    restored = bpmn_engine.load_state(parsed, bpmn_engine.dump_state(workflow))
    assert bpmn_engine.next_timer(restored) == bpmn_engine.next_timer(workflow)
    moved_clock(timedelta(seconds=5))
    assert bpmn_engine.fire_due_timers(restored) == ["cooling_off"]
    assert [t["element_id"] for t in bpmn_engine.open_user_tasks(restored)] == ["review"]
    assert bpmn_engine.fire_due_timers(restored) == []  # the boundary timer started waiting just now

    moved_clock(timedelta(seconds=10))
    assert bpmn_engine.fire_due_timers(restored) == ["review_overdue"]
    assert [t["element_id"] for t in bpmn_engine.open_user_tasks(restored)] == ["decide_escalated"]
    assert bpmn_engine.next_timer(restored) is None


def test_a_working_day_timer_is_due_when_the_limit_runs_out_on_the_calendar():
    workflow = bpmn_engine.start(diagram("workday_reminder.bpmn"), {"case_no": "1"})
    expected = WorkdayCalendar().deadline_instant(platform_time.utcnow(), 1)
    assert abs(bpmn_engine.next_timer(workflow) - expected) < timedelta(seconds=1)


def test_a_timer_expression_that_does_not_parse_is_refused_at_deployment():
    xml = (
        (FIXTURES / "timer_escalation.bpmn")
        .read_text(encoding="utf-8")
        .replace(
            ">PT1S</bpmn:timeDuration></bpmn:timerEventDefinition>\n    </bpmn:intermediateCatchEvent>",
            ">in one second</bpmn:timeDuration></bpmn:timerEventDefinition>\n    </bpmn:intermediateCatchEvent>",
        )
    )
    with pytest.raises(bpmn_engine.InvalidDiagram) as refused:
        bpmn_engine.parse_diagram(xml.encode("utf-8"))
    assert refused.value.element_id == "cooling_off"


def test_the_alarm_wakes_for_an_earlier_timer_only():
    alarm = Alarm()
    alarm.awake()
    alarm._until = platform_time.utcnow() + timedelta(minutes=5)
    alarm.ring(platform_time.utcnow() + timedelta(minutes=10))
    assert not alarm._woken.is_set()
    alarm.ring(platform_time.utcnow() + timedelta(minutes=1))
    assert alarm._woken.is_set()


def test_a_ring_while_the_scheduler_is_awake_is_not_lost():
    alarm = Alarm()
    alarm.awake()
    alarm.ring(platform_time.utcnow() + timedelta(hours=1))
    assert alarm.sleep_until(platform_time.utcnow() + timedelta(hours=2), longest=0.01) is True
