"""Stories of the hall's floor through the gateway, with the whole platform running."""

from datetime import datetime, timezone

import requests

from services.common.workdays import next_workday


def test_a_visitor_takes_a_ticket_is_called_to_a_window_on_the_live_board_and_served(gateway):
    # Window 9 serves only category C, so this story is not disturbed by other tests' tickets.
    setup = gateway.request("PUT", "/api/v1/queue/windows/9", as_user="admin", json={"categories": ["C"]})
    assert setup.status_code == 200, setup.text
    while gateway.post("/api/v1/queue/windows/9/call", as_user="window").status_code == 200:
        gateway.post("/api/v1/queue/windows/9/finish", as_user="window")

    ticket = gateway.post("/api/v1/queue/tickets", json={"category": "C", "priority": "care"})
    assert ticket.status_code == 201, ticket.text
    ticket = ticket.json()
    assert ticket["number"].startswith("C") and ticket["priority"] == "care" and ticket["ahead"] == 0

    stream = requests.get(f"{gateway.url}/api/v1/queue/board/stream", stream=True, timeout=10)
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    lines = stream.iter_lines(decode_unicode=True)
    assert next(lines) == ": connected"  # subscribed: the call below cannot be missed

    called = gateway.post("/api/v1/queue/windows/9/call", as_user="window")
    assert called.status_code == 200, called.text
    assert called.json()["ticket_id"] == ticket["ticket_id"]
    assert called.json()["label"] == f"{ticket['day']} {ticket['number']}"  # staff see the ticket's day
    pushed = []
    for line in lines:
        if line.startswith("data: "):
            pushed.append(line)
            if ticket["number"] in line:
                break
    stream.close()
    assert f"请{ticket['number']}号到9号窗口办理" in pushed[-1]

    board = gateway.get("/api/v1/queue/board").json()
    assert {"number": 9, "state": "called", "ticket": ticket["number"]}.items() <= next(
        w for w in board["windows"] if w["number"] == 9
    ).items()
    assert gateway.post("/api/v1/queue/windows/9/start", as_user="window").json()["state"] == "serving"
    linked = gateway.post(
        f"/api/v1/queue/tickets/{ticket['ticket_id']}/case", as_user="window", json={"case_no": "20261126000001"}
    )
    assert linked.json()["case_no"] == "20261126000001"
    assert gateway.post("/api/v1/queue/windows/9/finish", as_user="window").json()["state"] == "finished"
    again = gateway.post("/api/v1/queue/windows/9/call", as_user="window")
    assert again.status_code == 204, again.text

    stats = gateway.get("/api/v1/queue/stats", as_user="supervisor", params={"day": ticket["day"]}).json()
    assert stats["day"] == ticket["day"] == board["day"]
    row = next(r for r in stats["categories"] if r["category"] == "C")
    assert row["served"] >= 1 and row["mean_service_minutes"] is not None
    for row in stats["categories"]:
        assert row["issued"] == row["served"] + row["no_shows"] + row["abandoned"] + row["waiting"], row
    compact = gateway.get("/api/v1/queue/stats", as_user="supervisor", params={"day": ticket["day"].replace("-", "")})
    assert compact.status_code == 400 and "YYYY-MM-DD" in compact.json()["detail"]
    metrics = requests.get(f"{gateway.url}/metrics", timeout=10)
    assert metrics.status_code == 200


def test_bad_window_operations_are_precise_problems(gateway):
    unknown = gateway.post("/api/v1/queue/windows/999/call", as_user="window")
    assert unknown.status_code == 404 and unknown.headers["Content-Type"] == "application/problem+json"
    gateway.request("PUT", "/api/v1/queue/windows/10", as_user="admin", json={"categories": ["B"], "open": False})
    closed = gateway.post("/api/v1/queue/windows/10/call", as_user="window")
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]
    nothing = gateway.post("/api/v1/queue/windows/10/finish", as_user="window")
    assert nothing.status_code == 409


def test_an_applicant_books_an_appointment_online_and_cancels_it(gateway):
    day = next_workday(datetime.now(timezone.utc)).isoformat()
    slots = gateway.get(f"/api/v1/queue/appointments/slots?category=A&day={day}")
    assert slots.status_code == 200, slots.text
    slot = slots.json()["slots"][-1]
    body = {"applicant_id": "11010519491231002X", "category": "A", "day": day, "slot": slot["slot"]}
    booked = gateway.post("/api/v1/queue/appointments", json=body)
    assert booked.status_code == 201, booked.text
    again = gateway.post("/api/v1/queue/appointments", json=dict(body, category="B"))
    assert again.status_code == 409
    after = gateway.get(f"/api/v1/queue/appointments/slots?category=A&day={day}").json()["slots"][-1]
    assert after["free"] == slot["free"] - 1
    cancelled = gateway.post(
        f"/api/v1/queue/appointments/{booked.json()['code']}/cancel", json={"applicant_id": "11010519491231002X"}
    )
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
