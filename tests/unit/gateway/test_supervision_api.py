"""The supervision and admin endpoints map HTTP to the monitor's RPC, with roles."""

import pytest

from gateway import create_app
from gateway.auth import User, issue_token
from gateway.rpc import RemoteError

PROBLEM = "application/problem+json"
CASE_NO = "20261126000001"


def test_supervisors_and_departments_see_warnings_the_monitor_filters(client, fake_rpc, bearer):
    fake_rpc.answer("monitor", "list_warnings", [{"case_no": CASE_NO, "level": "red"}])
    for user in ("supervisor", "reviewer"):
        answer = client.get("/api/v1/supervision/warnings?level=red", headers=bearer(user))
        assert answer.status_code == 200
        assert answer.get_json() == {"warnings": [{"case_no": CASE_NO, "level": "red"}]}
    principals = [call.args[0]["username"] for call in fake_rpc.calls_to("monitor", "list_warnings")]
    assert principals == ["supervisor", "reviewer"]
    assert fake_rpc.calls_to("monitor", "list_warnings")[0].args[1] == "red"


def test_the_intake_window_does_not_watch(client, fake_rpc, bearer):
    answer = client.get("/api/v1/supervision/warnings", headers=bearer("clerk"))
    assert answer.status_code == 403 and answer.mimetype == PROBLEM
    assert fake_rpc.calls == []


def test_an_unknown_level_is_a_bad_request(client, fake_rpc, bearer):
    answer = client.get("/api/v1/supervision/warnings?level=purple", headers=bearer("supervisor"))
    assert answer.status_code == 400 and answer.mimetype == PROBLEM
    assert fake_rpc.calls == []


def test_only_a_supervisor_closes_a_record_and_a_resolution_is_required(client, fake_rpc, bearer):
    fake_rpc.answer("monitor", "close_accountability", {"case_no": CASE_NO, "status": "closed"})
    path = f"/api/v1/supervision/accountability/{CASE_NO}/close"
    assert client.post(path, json={"resolution": "已整改"}, headers=bearer("reviewer")).status_code == 403
    assert client.post(path, json={}, headers=bearer("supervisor")).status_code == 422
    answer = client.post(path, json={"resolution": "已整改"}, headers=bearer("supervisor"))
    assert answer.status_code == 200
    assert fake_rpc.calls_to("monitor", "close_accountability")[0].args[:2] == (CASE_NO, "已整改")


def test_a_record_in_the_wrong_state_is_a_conflict(client, fake_rpc, bearer):
    fake_rpc.answer(
        "monitor",
        "acknowledge_accountability",
        raises=RemoteError("monitor", {"exc_type": "Conflict", "exc_args": ["the record is closed", []]}),
    )
    answer = client.post(f"/api/v1/supervision/accountability/{CASE_NO}/acknowledge", headers=bearer("supervisor"))
    assert answer.status_code == 409 and answer.mimetype == PROBLEM


def test_a_chief_representative_approves_an_extension(client, fake_rpc, bearer):
    fake_rpc.answer("monitor", "approve_extension", {"days": 3, "reason": "现场核查"})
    path = f"/api/v1/supervision/cases/{CASE_NO}/extensions"
    assert client.post(path, json={"days": 3, "reason": "现场核查"}, headers=bearer("reviewer")).status_code == 403
    assert client.post(path, json={"days": 0, "reason": "x"}, headers=bearer("chief")).status_code == 422
    answer = client.post(path, json={"days": 3, "reason": "现场核查"}, headers=bearer("chief"))
    assert answer.status_code == 201
    assert fake_rpc.calls_to("monitor", "approve_extension")[0].args[:3] == (CASE_NO, 3, "现场核查")


def test_an_admin_advances_the_platform_clock(client, fake_rpc, bearer):
    fake_rpc.answer("monitor", "set_clock", {"offset_ms": 86400000, "now": "2026-11-27T00:00:00+00:00"})
    answer = client.post("/api/v1/admin/clock", json={"advance_seconds": 86400}, headers=bearer("admin"))
    assert answer.status_code == 200 and answer.get_json()["offset_ms"] == 86400000
    call = fake_rpc.calls_to("monitor", "set_clock")[0]
    assert call.args == ("admin",) and call.kwargs == {"advance_seconds": 86400, "idempotency": None}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"advance_seconds": 60, "offset_seconds": 0},
        {"advance_seconds": 0},
        {"offset_seconds": -1},
        {"now": "tomorrow"},
    ],
)
def test_a_clock_move_is_one_of_advance_or_offset(client, fake_rpc, bearer, body):
    answer = client.post("/api/v1/admin/clock", json=body, headers=bearer("admin"))
    assert answer.status_code == 422 and answer.mimetype == PROBLEM
    assert fake_rpc.calls == []


def test_only_an_admin_moves_the_clock(client, fake_rpc, bearer):
    assert (
        client.post("/api/v1/admin/clock", json={"advance_seconds": 60}, headers=bearer("supervisor")).status_code
        == 403
    )


def test_production_has_no_platform_clock_to_move(app_config, fake_rpc):
    app = create_app(dict(app_config, APP_ENV="production", BANK_SECRETS=""))
    admin = User("root", "Administrator", ("admin",), "hall", "")
    token = issue_token(admin, app_config["TOKEN_SECRET"], 600)
    client = app.test_client()
    for method in ("get", "post"):
        answer = getattr(client, method)(
            "/api/v1/admin/clock", json={"advance_seconds": 60}, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 404 and answer.mimetype == PROBLEM
    assert fake_rpc.calls == []


def test_anyone_files_a_complaint_and_gets_a_follow_code(client, fake_rpc):
    fake_rpc.answer(
        "monitor",
        "file_complaint",
        {
            "complaint_no": "T202611260001",
            "follow_code": "ABCD2345",
            "status": "received",
            "accept_by": "2026-12-03T16:00:00+00:00",
            "content": "窗口无人",
        },
    )
    answer = client.post(
        "/api/v1/complaints", json={"category": "investor_hotline", "content": "窗口无人", "channel": "hotline"}
    )
    assert answer.status_code == 201
    assert answer.get_json() == {
        "complaint_no": "T202611260001",
        "follow_code": "ABCD2345",
        "status": "received",
        "accept_by": "2026-12-03T16:00:00+00:00",
    }
    call = fake_rpc.calls_to("monitor", "file_complaint")[0]
    assert call.args == ({"category": "investor_hotline", "content": "窗口无人"}, "hotline")


def test_an_evaluation_needs_the_cases_query_code(client, fake_rpc):
    fake_rpc.answer(
        "intake",
        "get_public_case",
        raises=RemoteError("intake", {"exc_type": "NotFound", "exc_args": ["no such case", []]}),
    )
    answer = client.post("/api/v1/evaluations", json={"case_no": CASE_NO, "query_code": "WRONG234", "level": 1})
    assert answer.status_code == 404
    assert fake_rpc.calls_to("monitor", "evaluate_case") == []

    fake_rpc.answer("intake", "get_public_case", {"case_no": CASE_NO, "status": "completed", "evaluable": True})
    fake_rpc.answer("monitor", "evaluate_case", {"case_no": CASE_NO, "level": 1, "bad": True})
    answer = client.post(
        "/api/v1/evaluations", json={"case_no": CASE_NO, "query_code": "RIGHT234", "level": 1, "comment": "太慢"}
    )
    assert answer.status_code == 201
    assert fake_rpc.calls_to("monitor", "evaluate_case")[0].args == (CASE_NO, 1, "太慢")


def test_a_case_without_its_result_is_not_evaluated(client, fake_rpc):
    fake_rpc.answer("intake", "get_public_case", {"case_no": CASE_NO, "status": "accepted", "evaluable": False})
    answer = client.post("/api/v1/evaluations", json={"case_no": CASE_NO, "query_code": "RIGHT234", "level": 5})
    assert answer.status_code == 409 and answer.headers["Content-Type"] == "application/problem+json"
    assert "no result yet" in answer.get_json()["detail"] and "accepted" in answer.get_json()["detail"]
    assert fake_rpc.calls_to("monitor", "evaluate_case") == []


def test_department_staff_get_their_own_departments_statistics(client, fake_rpc, bearer):
    fake_rpc.answer(
        "monitor", "statistics", {"hall": {}, "period": {"first_day": "2026-11-01", "last_day": "2026-11-26"}}
    )
    fake_rpc.answer("queue", "period_waits", {"called": 3, "average_wait_seconds": 84.5})
    answer = client.get("/api/v1/stats?department=taxation&first_day=2026-11-01", headers=bearer("reviewer"))
    client.get("/api/v1/stats?department=taxation", headers=bearer("supervisor"))
    calls = fake_rpc.calls_to("monitor", "statistics")
    assert calls[0].kwargs == {"department": "market_regulation", "first_day": "2026-11-01"}
    assert calls[1].kwargs == {"department": "taxation"}
    # The hall's queue waits over the period the monitor chose, whatever the department.
    assert fake_rpc.calls_to("queue", "period_waits")[0].args == ("2026-11-01", "2026-11-26")
    assert answer.get_json()["queue"] == {"called": 3, "average_wait_seconds": 84.5}
    assert client.get("/api/v1/stats?first_day=yesterday", headers=bearer("supervisor")).status_code == 400


def test_a_chief_representative_starts_and_ends_a_special_procedure(client, fake_rpc, bearer):
    fake_rpc.answer("monitor", "suspend_case", {"case_no": CASE_NO, "procedure": "hearing", "reason": "听证"})
    fake_rpc.answer("monitor", "resume_case", {"case_no": CASE_NO, "deadline": "2026-12-15T16:00:00+00:00"})
    path = f"/api/v1/supervision/cases/{CASE_NO}"
    body = {"procedure": "hearing", "reason": "听证"}
    assert client.post(f"{path}/suspension", json=body, headers=bearer("reviewer")).status_code == 403
    wrong = client.post(f"{path}/suspension", json={"procedure": "lottery", "reason": "x"}, headers=bearer("chief"))
    assert wrong.status_code == 422 and wrong.mimetype == PROBLEM
    assert client.post(f"{path}/suspension", json=body, headers=bearer("chief")).status_code == 201
    assert fake_rpc.calls_to("monitor", "suspend_case")[0].args[:3] == (CASE_NO, "hearing", "听证")
    resumed = client.post(f"{path}/resumption", headers=bearer("chief"))
    assert resumed.status_code == 200 and resumed.get_json()["deadline"] == "2026-12-15T16:00:00+00:00"
    assert fake_rpc.calls_to("monitor", "resume_case")[0].args[0] == CASE_NO
