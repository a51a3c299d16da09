"""BPMN processes, for process designers."""
from flask import Blueprint, jsonify

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.spec import FORBIDDEN, STAFF, UNAUTHORIZED, UNAVAILABLE, json_response, problem, request_body
from gateway.validation import json_body

bp = Blueprint("processes", __name__, url_prefix="/api/v1/processes")

SCHEMAS = {
    "ProcessUpload": {
        "type": "object", "additionalProperties": False, "required": ["xml"],
        "properties": {"xml": {"type": "string", "minLength": 1, "maxLength": 2_000_000},
                       "filename": {"type": "string", "maxLength": 128, "pattern": r"^[\w.-]+\.bpmn$"}},
    },
    "Process": {
        "type": "object",
        "properties": {"key": {"type": "string"}, "version": {"type": "integer"}, "name": {"type": ["string", "null"]},
                       "filename": {"type": ["string", "null"]}, "content_hash": {"type": "string"},
                       "deployed_at": {"type": "string"}, "created": {"type": "boolean"}},
    },
}

PATHS = {
    "/api/v1/processes": {
        "get": {"summary": "Deployed processes, newest version of each.", "tags": ["processes"],
                "security": STAFF,
                "responses": {"200": json_response("Processes.", schema={"type": "object", "properties": {
                    "processes": {"type": "array", "items": {"$ref": "#/components/schemas/Process"}}}}),
                    "401": UNAUTHORIZED, "403": FORBIDDEN, "503": UNAVAILABLE}},
        "post": {"summary": "Deploy BPMN: a new version when the content changed.", "tags": ["processes"],
                 "security": STAFF, "requestBody": request_body("ProcessUpload", "BPMN 2.0 XML."),
                 "responses": {"201": json_response("A new version was deployed.", "Process"),
                               "200": json_response("The same content was already deployed.", "Process"),
                               "400": problem("Not JSON."), "401": UNAUTHORIZED, "403": FORBIDDEN,
                               "415": problem("Not JSON."),
                               "422": problem("The diagram is invalid; `errors` names the element."),
                               "503": UNAVAILABLE}},
    },
}


@bp.get("")
@requires_role("designer", "admin")
def list_processes():
    return jsonify(processes=rpc().call("approval", "list_processes"))


@bp.post("")
@requires_role("designer")
def deploy_process():
    body = json_body("ProcessUpload")
    result = rpc().call("approval", "deploy_process", body["xml"], body.get("filename", "diagram.bpmn"))
    response = jsonify(result)
    response.status_code = 201 if result["created"] else 200
    return response
