"""Queue-number calling (电子抽号, 排队叫号) and online appointments (网上预约).

The live board (``GET /api/v1/queue/board/stream``, ``text/event-stream``) is pushed, not
polled: ``gateway.queue_events`` consumes the queue service's calls and shapes the stream.
"""

from flask import Blueprint, Response, current_app, jsonify, request

from gateway.api import rpc
from gateway.api.specs.queue import SEQ_MAX
from gateway.auth import requires_role
from gateway.idempotency import idempotency
from gateway.problems import Problem
from gateway.query import query_params
from gateway.queue_events import STREAM_SECONDS, CallFeed, board_events
from gateway.validation import json_body

WINDOW_STAFF = ("clerk", "window")

bp = Blueprint("queue", __name__, url_prefix="/api/v1/queue")


# -- set-up ---------------------------------------------------------------------------
@bp.get("/setup")
def get_setup():
    return jsonify(rpc().queue.get_setup())


@bp.patch("/settings")
@requires_role("admin")
def update_settings():
    body = json_body("QueueSettings")
    return jsonify(rpc().queue.update_settings(body, idempotency=idempotency(body)))


@bp.put("/categories/<code>")
@requires_role("admin")
def put_category(code):
    if len(code) != 1 or not code.isupper():
        raise Problem(404, "Not found", "a category code is one capital letter")
    body = json_body("Category")
    once = idempotency(body)
    body.pop("code", None)
    return jsonify(rpc().queue.put_category(code, body, idempotency=once))


@bp.put("/windows/<int:window_id>")
@requires_role("admin")
def put_window(window_id):
    body = json_body("Window")
    return jsonify(
        rpc().queue.put_window(
            window_id, body["categories"], open=body.get("open", True), idempotency=idempotency(body)
        )
    )


# -- the kiosk and tickets --------------------------------------------------------------
@bp.post("/tickets")
def issue_ticket():
    body = json_body("TicketRequest")
    if not body.get("appointment_code") and not (body.get("category") or body.get("item_code")):
        raise Problem(
            422,
            "Invalid input",
            "choose a category or an item, or give an appointment code",
            [{"field": "category", "message": "required without item_code or appointment_code"}],
        )
    ticket = rpc().queue.issue_ticket(**body, idempotency=idempotency(body))
    response = jsonify(ticket)
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/queue/tickets/{ticket['ticket_id']}"
    return response


# Ticket ids are sequential: anyone may ask for one, so its public view names no case and
# no appointment code (window staff see them in their answers).
PRIVATE_TICKET_FIELDS = ("case_no", "appointment_code")


@bp.get("/tickets/<ticket_id>")
def get_ticket(ticket_id):
    ticket = rpc().queue.get_ticket(ticket_id)
    return jsonify({key: value for key, value in ticket.items() if key not in PRIVATE_TICKET_FIELDS})


@bp.post("/tickets/<ticket_id>/case")
@requires_role(*WINDOW_STAFF)
def link_case(ticket_id):
    body = json_body("CaseLink")
    return jsonify(rpc().queue.link_case(ticket_id, body["case_no"], idempotency=idempotency(body)))


# -- window operations ------------------------------------------------------------------
@bp.post("/windows/<int:window_id>/call")
@requires_role(*WINDOW_STAFF)
def call_next(window_id):
    ticket = rpc().queue.call_next(window_id, idempotency=idempotency())
    return jsonify(ticket) if ticket is not None else Response(status=204)


def _window_route(action, method):
    def operate(window_id):
        return jsonify(getattr(rpc().queue, method)(window_id, idempotency=idempotency()))

    operate.__name__ = method
    bp.post(f"/windows/<int:window_id>/{action}")(requires_role(*WINDOW_STAFF)(operate))


for _action, _method in (
    ("recall", "recall"),
    ("no-show", "mark_no_show"),
    ("start", "start_service"),
    ("finish", "finish_service"),
):
    _window_route(_action, _method)


@bp.post("/windows/<int:window_id>/transfer")
@requires_role(*WINDOW_STAFF)
def transfer(window_id):
    body = json_body("Transfer")
    return jsonify(
        rpc().queue.transfer(
            window_id, category=body.get("category"), to_window=body.get("window"), idempotency=idempotency(body)
        )
    )


# -- the board --------------------------------------------------------------------------
@bp.get("/board")
def get_board():
    return jsonify(rpc().queue.get_board())


@bp.get("/board/stream")
def board_stream():
    after = request.headers.get("Last-Event-ID") or request.args.get("after")
    if after is not None and not (after.isascii() and after.isdigit() and int(after) <= SEQ_MAX):
        raise Problem(400, "Bad request", "after / Last-Event-ID must be a call's sequence number")
    feed = current_app.config.get("QUEUE_CALL_FEED") or CallFeed(current_app.config["AMQP_URI"])
    seconds = current_app.config.get("QUEUE_STREAM_SECONDS", STREAM_SECONDS)
    return Response(
        board_events(feed, rpc(), int(after) if after is not None else None, seconds),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def day_param(path):
    """The ``day`` query parameter (None: today); the store's compact form is refused by name."""
    day = request.args.get("day")
    if day is not None and len(day) == 8 and day.isdigit():
        raise Problem(
            400,
            "Bad request",
            f"day is a date YYYY-MM-DD, as everywhere in this API: {day[:4]}-{day[4:6]}-{day[6:]}, not {day}",
            [{"field": "day", "message": "YYYY-MM-DD"}],
        )
    return query_params(path).get("day")


@bp.get("/stats")
@requires_role("supervisor", "admin")
def get_stats():
    return jsonify(rpc().queue.get_stats(day_param("/api/v1/queue/stats")))


@bp.get("/tickets")
@requires_role("supervisor", "admin")
def day_tickets():
    return jsonify(rpc().queue.day_tickets(day_param("/api/v1/queue/tickets")))


# -- appointments -----------------------------------------------------------------------
@bp.get("/appointments/slots")
def appointment_slots():
    category, day = request.args.get("category"), request.args.get("day")
    if not category or not day:
        raise Problem(400, "Bad request", "category and day (YYYY-MM-DD) are required")
    return jsonify(rpc().queue.appointment_slots(category, day))


@bp.post("/appointments")
def book_appointment():
    body = json_body("AppointmentRequest")
    appointment = rpc().queue.book_appointment(
        body["applicant_id"], body["category"], body["day"], body["slot"], idempotency=idempotency(body)
    )
    response = jsonify(appointment)
    response.status_code = 201
    return response


@bp.post("/appointments/<code>/cancel")
def cancel_appointment(code):
    body = json_body("AppointmentCancel")
    return jsonify(rpc().queue.cancel_appointment(code, body["applicant_id"], idempotency=idempotency(body)))
