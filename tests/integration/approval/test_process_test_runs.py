"""A process designer's test runs on the real broker and store: a deployed version or an
uploaded diagram runs with the designer completing its tasks as any role, firing a timer now
and delivering a message, while nothing of it reaches a work list or the deployed versions'
counts; a run is removed once its time is up."""

from pathlib import Path

import pytest
from nameko.testing.services import entrypoint_hook

from services.approval import test_runs
from services.common import time as platform_time
from services.common.errors import Conflict, InvalidInput, NotFound

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "diagrams"
DESIGNER = {"username": "designer", "roles": ["designer"], "department": "hall"}
CLERK = {"username": "clerk", "roles": ["clerk"], "department": "hall"}
REVIEWER = {"username": "reviewer", "roles": ["reviewer"], "department": "market_regulation"}


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def diagram(name):
    return (CORPUS / name).read_text(encoding="utf-8")


def task(run, element_id):
    return next(t for t in run["open_tasks"] if t["element_id"] == element_id)


def test_a_deployed_version_test_runs_to_its_end_and_stays_out_of_work_lists(approval):
    deployed = call(
        approval,
        "deploy_process",
        diagram("camunda_boundary_timer_message.bpmn"),
        "camunda_boundary_timer_message.bpmn",
    )
    run = call(approval, "start_test_run", {"process_key": deployed["key"]}, {"applicant": "王五"}, DESIGNER)
    assert run["run_id"].startswith("T-") and run["process_version"] == deployed["version"]
    assert run["data"]["case_no"] == run["run_id"]
    assert sorted(run["waiting_messages"]) == ["status_query", "withdrawal"]
    assert [t["element_id"] for t in run["waiting_timers"]] == ["Event_overdue"]
    assert "StartEvent_1" in run["path"]["done"] and "Activity_review" in run["path"]["waiting"]

    run = call(
        approval,
        "deliver_test_message",
        run["run_id"],
        "status_query",
        {"asked_by": "applicant", "ref.no": "Q-1"},
        DESIGNER,
    )
    assert call(approval, "get_test_run", run["run_id"])["steps"][-1]["data"] == {
        "name": "status_query",
        "data": {"asked_by": "applicant", "ref.no": "Q-1"},
    }
    assert sorted(t["element_id"] for t in run["open_tasks"]) == ["Activity_answer", "Activity_review"]
    assert task(run, "Activity_answer")["department"] == "hall"
    assert call(approval, "list_tasks", CLERK) == [] and call(approval, "list_tasks", REVIEWER) == []
    assert call(approval, "work_list", CLERK)["total"] == 0

    with pytest.raises(Conflict, match="it waits at: Event_overdue"):
        call(approval, "fire_test_timer", run["run_id"], "Event_nothing", DESIGNER)
    run = call(approval, "complete_test_task", run["run_id"], task(run, "Activity_answer")["id"], {}, DESIGNER)
    run = call(approval, "fire_test_timer", run["run_id"], "Event_overdue", DESIGNER)
    assert [t["element_id"] for t in run["open_tasks"]] == ["Activity_escalated"]
    assert "Activity_review" not in run["path"]["waiting"]
    run = call(approval, "complete_test_task", run["run_id"], task(run, "Activity_escalated")["id"], {}, DESIGNER)

    assert (run["status"], run["outcome"]["element_id"]) == ("completed", "Event_escalated")
    assert [s["kind"] for s in run["steps"]] == [
        "started",
        "message_delivered",
        "task_completed",
        "timer_fired",
        "task_completed",
    ]
    assert call(approval, "list_process_versions", deployed["key"])[0]["running_instances"] == 0
    with pytest.raises(Conflict, match="has ended"):
        call(approval, "deliver_test_message", run["run_id"], "withdrawal", {}, DESIGNER)
    assert call(approval, "get_test_run", run["run_id"])["status"] == "completed"


def test_an_uploaded_diagram_is_checked_as_a_deployment_and_runs_without_being_deployed(approval):
    xml = diagram("camunda_generated_form_juel.bpmn")
    run = call(approval, "start_test_run", {"xml": xml, "filename": "juel.bpmn"}, {}, DESIGNER)
    assert run["process_version"] is None
    assert run["process_key"] not in [p["key"] for p in call(approval, "list_processes")]
    assess = task(run, "Activity_assess")
    with pytest.raises(InvalidInput) as refused:
        call(approval, "complete_test_task", run["run_id"], assess["id"], {"amount": "a lot"}, DESIGNER)
    assert [e["field"] for e in refused.value.errors] == ["amount"]

    run = call(
        approval,
        "complete_test_task",
        run["run_id"],
        assess["id"],
        {"amount": 800, "approved": True, "channel": "cash"},
        DESIGNER,
    )
    assert (run["status"], run["outcome"]) == (
        "completed",
        {"element_id": "Event_paid", "name": run["outcome"]["name"]},
    )
    assert run["outcome"]["name"] != "Event_paid"

    with pytest.raises(InvalidInput) as refused:
        call(approval, "start_test_run", {"xml": diagram("camunda_service_java_class.bpmn")}, {}, DESIGNER)
    assert refused.value.errors[0]["field"] == "Activity_notify"


def test_a_test_run_is_removed_by_the_sweep_when_its_time_is_up(approval, monkeypatch):
    xml = diagram("camunda_generated_form_juel.bpmn")
    run = call(approval, "start_test_run", {"xml": xml}, {}, DESIGNER)
    call(approval, "remove_expired_test_runs")
    assert call(approval, "get_test_run", run["run_id"])["status"] == "in_progress"

    monkeypatch.setattr(platform_time, "_offset", test_runs.RETENTION)
    kept = call(approval, "start_test_run", {"xml": xml}, {}, DESIGNER)
    call(approval, "remove_expired_test_runs")

    with pytest.raises(NotFound):
        call(approval, "get_test_run", run["run_id"])
    assert call(approval, "get_test_run", kept["run_id"])["status"] == "in_progress"
    call(approval, "discard_test_run", kept["run_id"])
    with pytest.raises(NotFound):
        call(approval, "get_test_run", kept["run_id"])


def test_a_message_a_run_throws_starts_a_process_deployed_from_another_file_within_the_run(approval):
    fixtures = CORPUS.parent
    call(
        approval,
        "deploy_process",
        (fixtures / "camunda_archive_lookup.bpmn").read_text(encoding="utf-8"),
        "camunda_archive_lookup.bpmn",
    )
    run = call(
        approval,
        "start_test_run",
        {
            "xml": (fixtures / "camunda_archive_inquiry.bpmn").read_text(encoding="utf-8"),
            "filename": "camunda_archive_inquiry.bpmn",
        },
        {},
        DESIGNER,
    )
    assert [(i["process_key"], i["completed"]) for i in run["instances"]] == [
        ("archive_inquiry", False),
        ("archive_lookup", False),
    ]
    assert run["steps"][-1]["kind"] == "message_started"
    run = call(
        approval,
        "complete_test_task",
        run["run_id"],
        task(run, "Activity_pull_records")["id"],
        {"records": "档案 A-17"},
        DESIGNER,
    )
    run = call(approval, "complete_test_task", run["run_id"], task(run, "Activity_decide")["id"], {}, DESIGNER)
    assert (run["status"], run["outcome"]["element_id"]) == ("completed", "Event_decided")
    assert call(approval, "list_tasks", REVIEWER) == []  # nothing of the run reaches a work list
