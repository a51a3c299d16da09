"""Administration. The platform clock: in demo and test mode an admin moves it forward so
that deadlines can be passed in a test (the monitor keeps and broadcasts it); in
production the endpoint does not exist (404). The gateway itself keeps real time: it
computes no deadline, and its tokens expire in real time."""

from flask import Blueprint, current_app, g, jsonify

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.idempotency import idempotency
from gateway.problems import Problem
from gateway.validation import json_body
from services.common.config import is_demo

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin")


def _demo_only():
    if not is_demo(current_app.config):
        raise Problem(404, "Not found", "the platform clock is fixed in production")


@bp.get("/clock")
@requires_role("admin")
def get_clock():
    _demo_only()
    return jsonify(rpc().monitor.get_clock())


@bp.post("/clock")
@requires_role("admin")
def move_clock():
    _demo_only()
    body = json_body("ClockMove")
    return jsonify(rpc().monitor.set_clock(g.principal["username"], **body, idempotency=idempotency(body)))
