"""The hall's statistics (统计) for the supervision bureau and the departments: a
department's staff get their own department's figures whatever they ask for. The monitor
gives the cases' figures and the period it chose; the queue service, the hall's waits over
that period (tickets are no department's, so these are the hall's whatever the filter)."""

from flask import Blueprint, g, jsonify

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.query import query_params

HALL_WIDE = ("hall", "supervision")

bp = Blueprint("stats", __name__, url_prefix="/api/v1")


@bp.get("/stats")
@requires_role("supervisor", "admin", "chief", "reviewer")
def statistics():
    params = query_params("/api/v1/stats")
    if g.principal["department"] not in HALL_WIDE:
        params["department"] = g.principal["department"]
    figures = rpc().monitor.statistics(**params)
    period = figures["period"]
    figures["queue"] = rpc().queue.period_waits(period["first_day"], period["last_day"])
    return jsonify(figures)
