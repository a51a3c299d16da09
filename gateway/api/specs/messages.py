"""OpenAPI fragments of ``gateway.api.messages``: paths, schemas, request examples."""

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

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$"
MESSAGE_NAME = path_param("name", "The message's name, as the diagram's message event names it.", NAME_PATTERN, 128)

SCHEMAS = {
    "MessageDelivery": {
        "type": "object",
        "additionalProperties": False,
        "required": ["message_id"],
        "properties": {
            "message_id": {
                "type": "string",
                "minLength": 8,
                "maxLength": 128,
                "pattern": r"^[\x21-\x7e]+$",
                "description": "The sender's id for this message (8-128 printable characters): "
                "sending it again returns the same answer and delivers nothing twice.",
            },
            "data": {
                "type": "object",
                "maxProperties": 50,
                "description": "The message's data; the process finds it under the message's name.",
            },
        },
    },
    "MessageReceipt": {
        "type": "object",
        "properties": {
            "case_no": {"type": "string"},
            "name": {"type": "string"},
            "message_id": {"type": "string"},
            "delivered": {"type": "boolean", "description": "The process has taken the message."},
            "kept_until": {
                "type": ["string", "null"],
                "description": "Not taken yet: kept for the process until this instant.",
            },
        },
    },
}

EXAMPLES = {"MessageDelivery": {"message_id": "fire-inspection-2026-0042", "data": {"passed": True}}}

PATHS = {
    "/api/v1/cases/{case_no}/messages/{name}": {
        "post": {
            "summary": "Deliver a message to the case's process.",
            "description": "The process takes it when one of its message events waits for `name`, or the "
            "partner process of its collaboration whose message start event catches `name` (else the "
            "latest deployed version of the process, from any file, whose message start event catches "
            "it) starts as a sub-instance of the case (200); else it is kept for 30 days until the process gets there "
            "(202). Departments' systems (API key) and "
            "staff of the case's department may send; the hall's own messages (`supplement_received`, "
            "`payment_confirmed`) come only from the hall.",
            "tags": ["cases"],
            "security": STAFF,
            "parameters": [CASE_NO, MESSAGE_NAME],
            "requestBody": request_body("MessageDelivery", "The message."),
            "responses": {
                "200": json_response("Delivered.", "MessageReceipt"),
                "202": json_response("Kept until the process waits for it.", "MessageReceipt"),
                "400": problem("A bad case number, message name or body."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such case, or not the caller's department's."),
                "409": problem(
                    "The process never waits for this message, has ended, or the message id "
                    "was used for another message."
                ),
                "415": problem("Not JSON."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
}
