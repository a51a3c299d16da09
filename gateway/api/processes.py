"""BPMN processes, for process designers."""
from flask import Blueprint, jsonify

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.validation import json_body

bp = Blueprint("processes", __name__, url_prefix="/api/v1/processes")


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
