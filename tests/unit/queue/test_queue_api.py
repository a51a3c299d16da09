"""The queue's gateway routes with a fake RPC client: roles, bodies, 204, problems, the stream."""

import json
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest

from gateway.rpc import RemoteError

TICKET = {
    "ticket_id": "20261126-A001",
    "number": "A001",
    "category": "A",
    "priority": "normal",
    "state": "waiting",
    "ahead": 0,
    "estimated_wait_minutes": 0,
}


def remote(code, detail, errors=None):
    return RemoteError("queue", {"exc_type": code, "exc_args": [detail, errors or []], "value": detail})


def call(seq, number="A001", window=3, seconds_ago=5):
    called_at = datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)
    return {
        "seq": seq,
        "ticket_id": f"20261126-{number}",
        "number": number,
        "window": window,
        "text_zh": f"请{number}号到{window}号窗口办理",
        "text_en": f"Ticket {number}, please go to window {window}.",
        "called_at": called_at.isoformat(),
    }


def test_the_kiosk_issues_a_ticket_without_login(client, fake_rpc):
    fake_rpc.answer("queue", "issue_ticket", TICKET)
    answer = client.post("/api/v1/queue/tickets", json={"category": "A", "priority": "care"})
    assert answer.status_code == 201 and answer.get_json()["number"] == "A001"
    assert answer.headers["Location"] == "/api/v1/queue/tickets/20261126-A001"
    assert fake_rpc.calls_to("queue", "issue_ticket")[0].kwargs == {
        "category": "A",
        "priority": "care",
        "idempotency": None,
    }


@pytest.mark.parametrize(
    "body", [{}, {"priority": "vip", "category": "A"}, {"category": "AA"}, {"category": "A", "applicant_id": "123"}]
)
def test_a_bad_ticket_request_is_refused_before_any_call(client, fake_rpc, body):
    answer = client.post("/api/v1/queue/tickets", json=body)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert fake_rpc.calls == []


def test_a_resident_id_typed_with_a_lower_case_x_reaches_the_queue(client, fake_rpc):
    fake_rpc.answer("queue", "issue_ticket", TICKET)
    answer = client.post("/api/v1/queue/tickets", json={"category": "A", "applicant_id": "11010519491231002x"})
    assert answer.status_code == 201
    assert fake_rpc.calls_to("queue", "issue_ticket")[0].kwargs["applicant_id"] == "11010519491231002x"


def test_calling_an_empty_queue_answers_204(client, fake_rpc, bearer):
    fake_rpc.answer("queue", "call_next", None)
    answer = client.post("/api/v1/queue/windows/7/call", headers=bearer("window"))
    assert answer.status_code == 204 and answer.data == b""
    assert fake_rpc.calls_to("queue", "call_next")[0].args == (7,)


def test_window_operations_need_window_staff(client, fake_rpc, bearer):
    assert client.post("/api/v1/queue/windows/1/call").status_code == 401
    assert client.post("/api/v1/queue/windows/1/finish", headers=bearer("cashier")).status_code == 403
    fake_rpc.answer("queue", "finish_service", dict(TICKET, state="finished"))
    assert client.post("/api/v1/queue/windows/1/finish", headers=bearer("clerk")).status_code == 200
    assert [c.method for c in fake_rpc.calls] == ["finish_service"]


@pytest.mark.parametrize(
    ("action", "method"),
    [("recall", "recall"), ("no-show", "mark_no_show"), ("start", "start_service"), ("finish", "finish_service")],
)
def test_each_window_button_calls_its_operation(client, fake_rpc, bearer, action, method):
    fake_rpc.answer("queue", method, TICKET)
    assert client.post(f"/api/v1/queue/windows/2/{action}", headers=bearer("window")).status_code == 200
    assert fake_rpc.calls_to("queue", method)[0].args == (2,)


def test_a_refused_operation_is_a_problem_with_the_services_words(client, fake_rpc, bearer):
    fake_rpc.answer("queue", "call_next", raises=remote("Conflict", "window 2 is closed"))
    answer = client.post("/api/v1/queue/windows/2/call", headers=bearer("window"))
    assert answer.status_code == 409 and answer.get_json()["detail"] == "window 2 is closed"
    fake_rpc.answer(
        "queue",
        "transfer",
        raises=remote(
            "InvalidInput",
            "window 4 does not serve category A",
            [{"field": "category", "message": "window 4 serves B"}],
        ),
    )
    answer = client.post("/api/v1/queue/windows/2/transfer", json={"window": 4}, headers=bearer("window"))
    assert answer.status_code == 422 and answer.get_json()["errors"][0]["field"] == "category"
    assert fake_rpc.calls_to("queue", "transfer")[0].kwargs == {"category": None, "to_window": 4, "idempotency": None}


def test_a_transfer_needs_a_target(client, fake_rpc, bearer):
    answer = client.post("/api/v1/queue/windows/2/transfer", json={}, headers=bearer("window"))
    assert answer.status_code == 422 and fake_rpc.calls == []


def test_admin_changes_the_setup_and_others_may_not(client, fake_rpc, bearer):
    fake_rpc.answer("queue", "put_window", {"number": 9, "categories": ["B", "A"], "open": False})
    body = {"categories": ["B", "A"], "open": False}
    assert client.put("/api/v1/queue/windows/9", json=body, headers=bearer("clerk")).status_code == 403
    assert client.put("/api/v1/queue/windows/9", json=body, headers=bearer("admin")).status_code == 200
    assert fake_rpc.calls_to("queue", "put_window")[0].args == (9, ["B", "A"])
    fake_rpc.answer("queue", "update_settings", {"recall_limit": 3})
    answer = client.patch("/api/v1/queue/settings", json={"recall_limit": 3}, headers=bearer("admin"))
    assert answer.status_code == 200
    assert client.patch("/api/v1/queue/settings", json={"recall_limit": -1}, headers=bearer("admin")).status_code == 422


def test_stats_are_for_supervisors(client, fake_rpc, bearer):
    fake_rpc.answer("queue", "get_stats", {"day": "2026-11-26", "categories": []})
    assert client.get("/api/v1/queue/stats", headers=bearer("window")).status_code == 403
    assert client.get("/api/v1/queue/stats?day=2026-11-26", headers=bearer("supervisor")).status_code == 200
    assert fake_rpc.calls_to("queue", "get_stats")[0].args == ("2026-11-26",)


def test_stats_take_an_iso_day_and_explain_the_compact_form(client, fake_rpc, bearer):
    fake_rpc.answer("queue", "get_stats", {"day": "2026-11-26", "categories": []})
    compact = client.get("/api/v1/queue/stats?day=20261126", headers=bearer("supervisor"))
    assert compact.status_code == 400 and compact.headers["Content-Type"] == "application/problem+json"
    assert "YYYY-MM-DD" in compact.json["detail"] and "2026-11-26" in compact.json["detail"]
    assert client.get("/api/v1/queue/stats?day=26.11.2026", headers=bearer("supervisor")).status_code == 400
    assert client.get("/api/v1/queue/stats?when=2026-11-26", headers=bearer("supervisor")).status_code == 400
    assert fake_rpc.calls_to("queue", "get_stats") == []


def test_a_days_tickets_are_for_supervisors_by_an_iso_day(client, fake_rpc, bearer):
    fake_rpc.answer("queue", "day_tickets", {"day": "2026-11-26", "tickets": [TICKET]})
    assert client.get("/api/v1/queue/tickets?day=2026-11-26", headers=bearer("window")).status_code == 403
    assert client.get("/api/v1/queue/tickets?day=20261126", headers=bearer("supervisor")).status_code == 400
    answer = client.get("/api/v1/queue/tickets?day=2026-11-26", headers=bearer("supervisor"))
    assert answer.status_code == 200 and answer.get_json()["tickets"][0]["number"] == "A001"
    assert [c.args for c in fake_rpc.calls_to("queue", "day_tickets")] == [("2026-11-26",)]


def test_booking_answers_201_and_a_full_slot_409(client, fake_rpc):
    body = {"applicant_id": "11010519491231002X", "category": "A", "day": "2026-11-27", "slot": "09:00"}
    fake_rpc.answer("queue", "book_appointment", {"code": "ABCD2345", "state": "booked"})
    assert client.post("/api/v1/queue/appointments", json=body).status_code == 201
    fake_rpc.answer("queue", "book_appointment", raises=remote("Conflict", "the slot 09:00 is fully booked"))
    assert client.post("/api/v1/queue/appointments", json=body).status_code == 409
    assert client.post("/api/v1/queue/appointments", json=dict(body, day="27.11.2026")).status_code == 422


class FakeFeed:
    """Stands in for the broker subscription: the payloads it was given, with idle ticks."""

    def __init__(self, payloads):
        self.payloads = payloads
        self.subscribed = False

    @contextmanager
    def subscribe(self, idle_seconds=1.0):
        self.subscribed = True
        yield iter(self.payloads)


@pytest.fixture
def feed(app):
    def install(payloads):
        app.config["QUEUE_CALL_FEED"] = FakeFeed(payloads)
        return app.config["QUEUE_CALL_FEED"]

    return install


def test_the_stream_catches_up_then_pushes_new_calls_once(client, fake_rpc, feed):
    installed = feed([{"call": call(5, "A003")}, None, {"call": call(6, "B001", 4)}, {"call": call(7, "A004")}])
    pages = {4: [call(5, "A003"), call(6, "B001", 4)], 6: []}
    fake_rpc.answer("queue", "calls_after", using=lambda seq: pages[seq])
    answer = client.get("/api/v1/queue/board/stream", headers={"Last-Event-ID": "4"})
    assert answer.status_code == 200 and answer.mimetype == "text/event-stream"
    text = answer.get_data(as_text=True)
    assert installed.subscribed
    assert [line for line in text.splitlines() if line.startswith("id: ")] == ["id: 5", "id: 6", "id: 7"]
    assert "data: " in text and "请A004号到3号窗口办理" in text


def test_calls_caught_up_from_more_than_a_minute_ago_are_missed_not_announced(client, fake_rpc, feed):
    """A screen back after an outage: the old calls are shown (event ``missed``), the last
    minute's are read out (event ``call``), and so is every live one."""
    feed([{"call": call(4, "A004", seconds_ago=300)}])
    fake_rpc.answer(
        "queue",
        "calls_after",
        using=lambda seq: {1: [call(2, "A002", seconds_ago=600), call(3, "A003", seconds_ago=30)]}.get(seq, []),
    )
    text = client.get("/api/v1/queue/board/stream", headers={"Last-Event-ID": "1"}).get_data(as_text=True)
    events = [
        (block.split("event: ")[1].split("\n")[0], json.loads(block.split("data: ")[1])["number"])
        for block in text.split("\n\n")
        if "event: " in block
    ]
    assert events == [("missed", "A002"), ("call", "A003"), ("call", "A004")]


def test_the_stream_pushes_a_call_announced_after_a_later_one(client, fake_rpc, feed):
    """Two windows call at once: call 8's event arrives before call 7's; both reach the
    screen, each once, and the event id never goes back."""
    feed([{"call": call(8, "B002")}, {"call": call(7, "A005")}, {"call": call(8, "B002")}, {"call": call(4, "A001")}])
    fake_rpc.answer("queue", "calls_after", using=lambda seq: [])
    text = client.get("/api/v1/queue/board/stream", headers={"Last-Event-ID": "6"}).get_data(as_text=True)
    assert [line for line in text.splitlines() if line.startswith("id: ")] == ["id: 8", "id: 8"]
    assert text.count('"number": "B002"') == 1 and text.count('"number": "A005"') == 1 and "A001" not in text


def test_a_stream_without_a_start_pushes_only_live_calls(client, fake_rpc, feed):
    feed([{"call": call(9)}])
    text = client.get("/api/v1/queue/board/stream").get_data(as_text=True)
    assert fake_rpc.calls == [] and "id: 9" in text


def test_the_stream_refuses_a_bad_start(client, fake_rpc, feed):
    feed([])
    assert client.get("/api/v1/queue/board/stream?after=x").status_code == 400
