"""Work lists: the caller's open tasks, and completing them."""
from flask import Blueprint, g, jsonify

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.spec import INVALID, STAFF, UNAUTHORIZED, UNAVAILABLE, json_response, path_param, problem, request_body
from gateway.validation import json_body

bp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks")

TASK_ID = path_param("task_id", "Task id from the work list.", r"^[0-9a-f-]{36}$", 36)

SCHEMAS = {
    "Task": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "case_no": {"type": "string"}, "element_id": {"type": "string"},
                       "name": {"type": "string"}, "role": {"type": "string"}, "department": {"type": "string"},
                       "form": {"type": "array", "items": {"type": "object"}},
                       "created_at": {"type": "string"}},
    },
    "TaskCompletion": {
        "type": "object", "additionalProperties": False, "required": ["data"],
        "properties": {"data": {"type": "object", "maxProperties": 50,
                                "description": "Values for the task's form fields."}},
    },
}

PATHS = {
    "/api/v1/tasks": {"get": {
        "summary": "The caller's work list: open tasks of the caller's roles and department.", "tags": ["tasks"],
        "security": STAFF,
        "responses": {"200": json_response("Open tasks, oldest first.", schema={"type": "object", "properties": {
            "tasks": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}}}}),
            "401": UNAUTHORIZED, "503": UNAVAILABLE}}},
    "/api/v1/tasks/{task_id}": {"get": {
        "summary": "One task of the caller's work list, with its form.", "tags": ["tasks"],
        "security": STAFF, "parameters": [TASK_ID],
        "responses": {"200": json_response("The task.", "Task"), "401": UNAUTHORIZED,
                      "404": problem("Not in the caller's work list."), "503": UNAVAILABLE}}},
    "/api/v1/tasks/{task_id}/complete": {"post": {
        "summary": "Complete a task with values for its form; the process moves on.", "tags": ["tasks"],
        "security": STAFF, "parameters": [TASK_ID], "requestBody": request_body("TaskCompletion", "Form values."),
        "responses": {"200": json_response("Completed.", schema={"type": "object"}), "400": problem("Not JSON."),
                      "401": UNAUTHORIZED, "404": problem("Not in the caller's work list."),
                      "409": problem("The task was already completed."), "415": problem("Not JSON."),
                      "422": INVALID, "503": UNAVAILABLE}}},
}


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
