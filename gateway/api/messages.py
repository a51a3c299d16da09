"""Departments deliver named messages to a case's process (消息), as a BPMN message event
would: the process takes it now, or it is kept until the process waits for it."""
import re

from flask import Blueprint, g, jsonify

from gateway.api import rpc
from gateway.auth import requires_role
from gateway.idempotency import idempotency
from gateway.problems import Problem
from gateway.spec import (
    CASE_NO,
    FORBIDDEN,
    INVALID,
    STAFF,
    UNAUTHORIZED,
    UNAVAILABLE,
    json_response,
    path_param,
    problem,
    request_body,
)
from gateway.validation import case_number, json_body

bp = Blueprint("messages", __name__, url_prefix="/api/v1/cases")

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$"
MESSAGE_NAME = path_param("name", "The message's name, as the diagram's message event names it.", NAME_PATTERN, 128)

SCHEMAS = {
    "MessageDelivery": {
        "type": "object", "additionalProperties": False, "required": ["message_id"],
        "properties": {
            "message_id": {"type": "string", "minLength": 8, "maxLength": 128, "pattern": r"^[\x21-\x7e]+$",
                           "description": "The sender's id for this message (8-128 printable characters): "
                                          "sending it again returns the same answer and delivers nothing twice."},
            "data": {"type": "object", "maxProperties": 50,
                     "description": "The message's data; the process finds it under the message's name."},
        },
    },
    "MessageReceipt": {
        "type": "object",
        "properties": {"case_no": {"type": "string"}, "name": {"type": "string"}, "message_id": {"type": "string"},
                       "delivered": {"type": "boolean", "description": "The process has taken the message."},
                       "kept_until": {"type": ["string", "null"],
                                      "description": "Not taken yet: kept for the process until this instant."}},
    },
}

EXAMPLES = {"MessageDelivery": {"message_id": "fire-inspection-2026-0042", "data": {"passed": True}}}

PATHS = {
    "/api/v1/cases/{case_no}/messages/{name}": {"post": {
        "summary": "Deliver a message to the case's process.",
        "description": "The process takes it when one of its message events waits for `name` (200), or it is "
                       "kept for 30 days until the process gets there (202). Departments' systems (API key) and "
                       "staff of the case's department may send; the hall's own messages (`supplement_received`, "
                       "`payment_confirmed`) come only from the hall.",
        "tags": ["cases"], "security": STAFF, "parameters": [CASE_NO, MESSAGE_NAME],
        "requestBody": request_body("MessageDelivery", "The message."),
        "responses": {"200": json_response("Delivered.", "MessageReceipt"),
                      "202": json_response("Kept until the process waits for it.", "MessageReceipt"),
                      "400": problem("A bad case number, message name or body."), "401": UNAUTHORIZED,
                      "403": FORBIDDEN, "404": problem("No such case, or not the caller's department's."),
                      "409": problem("The process never waits for this message, has ended, or the message id "
                                     "was used for another message."),
                      "415": problem("Not JSON."), "422": INVALID, "503": UNAVAILABLE}}},
}


@bp.post("/<case_no>/messages/<name>")
@requires_role()
def deliver_message(case_no, name):
    if not re.fullmatch(NAME_PATTERN, name):
        raise Problem(400, "Bad request", "a message name starts with a letter or _ and holds letters, digits, "
                                          "_, . and - (at most 128)")
    body = json_body("MessageDelivery")
    receipt = rpc().approval.deliver_message(case_number(case_no), name, body.get("data") or {},
                                             body["message_id"], g.principal, idempotency=idempotency(body))
    response = jsonify(receipt)
    response.status_code = 200 if receipt["delivered"] else 202
    return response
