"""Departments deliver named messages to a case's process (消息), as a BPMN message event
would: the process takes it now, a partner process it starts begins, or it is kept until the
process waits for it."""

import re

from flask import Blueprint, g, jsonify

from gateway.api import rpc
from gateway.api.specs.messages import NAME_PATTERN
from gateway.auth import requires_role
from gateway.idempotency import idempotency
from gateway.problems import Problem
from gateway.validation import case_number, json_body

bp = Blueprint("messages", __name__, url_prefix="/api/v1/cases")


@bp.post("/<case_no>/messages/<name>")
@requires_role()
def deliver_message(case_no, name):
    if not re.fullmatch(NAME_PATTERN, name):
        raise Problem(
            400,
            "Bad request",
            "a message name starts with a letter or _ and holds letters, digits, _, . and - (at most 128)",
        )
    body = json_body("MessageDelivery")
    receipt = rpc().approval.deliver_message(
        case_number(case_no),
        name,
        body.get("data") or {},
        body["message_id"],
        g.principal,
        idempotency=idempotency(body),
    )
    response = jsonify(receipt)
    response.status_code = 200 if receipt["delivered"] else 202
    return response
