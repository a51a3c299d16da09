"""Work lists: the caller's open tasks (filtered, paginated, due soonest first), one task with
its form and case summary, and completing a task (idempotently with an `Idempotency-Key`)."""

from flask import Blueprint, g, jsonify

from gateway.api import rpc
from gateway.api.specs.tasks import DEFAULT_LIMIT
from gateway.auth import requires_role
from gateway.idempotency import idempotency
from gateway.query import query_params
from gateway.validation import json_body

bp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks")


@bp.get("")
@requires_role()
def list_tasks():
    params = query_params("/api/v1/tasks")
    filters = {key: params[key] for key in ("process_key", "case_no", "element_id") if key in params}
    return jsonify(
        rpc().approval.work_list(g.principal, filters, params.get("limit", DEFAULT_LIMIT), params.get("offset", 0))
    )


@bp.get("/<task_id>")
@requires_role()
def get_task(task_id):
    return jsonify(rpc().approval.get_task(task_id, g.principal))


@bp.post("/<task_id>/complete")
@requires_role()
def complete_task(task_id):
    body = json_body("TaskCompletion")
    return jsonify(rpc().approval.complete_task(task_id, body["data"], g.principal, idempotency=idempotency(body)))
