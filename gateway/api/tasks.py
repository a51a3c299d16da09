"""Work lists: the caller's open tasks, and completing them."""
from flask import Blueprint, g, jsonify

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.validation import json_body

bp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks")


@bp.get("")
@requires_role()
def list_tasks():
    return jsonify(tasks=rpc().call("approval", "list_tasks", g.principal))


@bp.get("/<task_id>")
@requires_role()
def get_task(task_id):
    return jsonify(rpc().call("approval", "get_task", task_id, g.principal))


@bp.post("/<task_id>/complete")
@requires_role()
def complete_task(task_id):
    body = json_body("TaskCompletion")
    return jsonify(rpc().call("approval", "complete_task", task_id, body["data"], g.principal))
