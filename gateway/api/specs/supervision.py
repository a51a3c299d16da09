"""OpenAPI fragments of ``gateway.api.supervision``: paths, schemas, request examples."""

from gateway.spec import (
    CASE_NO,
    FORBIDDEN,
    INVALID,
    STAFF,
    UNAUTHORIZED,
    UNAVAILABLE,
    json_response,
    list_response,
    problem,
    request_body,
)

_INSTANT = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS = {
    "Warning": {
        "type": "object",
        "description": "An open case near (yellow) or past (red) its deadline.",
        "properties": {
            "case_no": {"type": "string"},
            "item_code": {"type": "string"},
            "item_name": {"type": ["string", "null"]},
            "department": {"type": "string"},
            "staff": {"type": ["string", "null"], "description": "Who accepted the case (window)."},
            "level": {"enum": ["yellow", "red"]},
            "status": {"type": "string"},
            "deadline": _INSTANT,
            "days_overdue": {"type": "integer", "minimum": 0},
        },
    },
    "CaseStanding": {
        "type": "object",
        "description": "A case against its time limit.",
        "properties": {
            "case_no": {"type": "string"},
            "department": {"type": ["string", "null"]},
            "status": {"enum": ["submitted", "accepted", "supplementing", "suspended", "decided", "refused"]},
            "level": {"enum": ["green", "yellow", "red", None]},
            "deadline": _INSTANT,
            "days_overdue": {"type": "integer"},
            "accepted_at": _INSTANT,
            "decided_at": _INSTANT,
            "on_time": {"type": ["boolean", "null"]},
            "problem": {"type": ["string", "null"]},
            "extensions": {"type": "array", "items": {"$ref": "#/components/schemas/Extension"}},
            "special_procedures": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "procedure": {"enum": ["expert_review", "hearing"]},
                        "reason": {"type": ["string", "null"]},
                        "started_at": _INSTANT,
                        "ended_at": _INSTANT,
                    },
                },
            },
        },
    },
    "SuspensionRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["procedure", "reason"],
        "properties": {
            "procedure": {"enum": ["expert_review", "hearing"]},
            "reason": {"type": "string", "minLength": 1, "maxLength": 500},
        },
    },
    "Suspension": {
        "type": "object",
        "properties": {
            "case_no": {"type": "string"},
            "procedure": {"type": "string"},
            "reason": {"type": "string"},
            "suspended_by": {"type": "string"},
            "suspended_at": _INSTANT,
        },
    },
    "Resumption": {
        "type": "object",
        "properties": {
            "case_no": {"type": "string"},
            "resumed_by": {"type": "string"},
            "resumed_at": _INSTANT,
            "deadline": {**_INSTANT, "description": "The case's new deadline."},
        },
    },
    "ExtensionRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["days", "reason"],
        "properties": {
            "days": {"type": "integer", "minimum": 1, "maximum": 60},
            "reason": {"type": "string", "minLength": 1, "maxLength": 500},
        },
    },
    "Extension": {
        "type": "object",
        "properties": {
            "days": {"type": "integer"},
            "reason": {"type": "string"},
            "approved_by": {"type": "string"},
            "approved_at": {"type": "string", "format": "date-time"},
        },
    },
    "AccountabilityRecord": {
        "type": "object",
        "description": "问责: filed automatically once per overdue case.",
        "properties": {
            "case_no": {"type": "string"},
            "item_code": {"type": "string"},
            "item_name": {"type": ["string", "null"]},
            "department": {"type": "string"},
            "staff": {"type": ["string", "null"]},
            "deadline": _INSTANT,
            "filed_at": _INSTANT,
            "days_overdue": {"type": "integer"},
            "status": {"enum": ["open", "acknowledged", "closed"]},
            "acknowledged_by": {"type": ["string", "null"]},
            "acknowledged_at": _INSTANT,
            "resolution": {"type": ["string", "null"]},
            "closed_by": {"type": ["string", "null"]},
            "closed_at": _INSTANT,
        },
    },
    "Resolution": {
        "type": "object",
        "additionalProperties": False,
        "required": ["resolution"],
        "properties": {"resolution": {"type": "string", "minLength": 1, "maxLength": 2000}},
    },
}

_RECORD = json_response("The record.", "AccountabilityRecord")
_NO_RECORD = problem("No record for this case, or not visible to the caller.")

EXAMPLES = {  # request bodies in the OpenAPI document
    "ExtensionRequest": {"days": 5, "reason": "需现场核查，经批准延期 5 个工作日 (on-site inspection approved)"},
    "Resolution": {"resolution": "已约谈窗口负责人并通报批评，办件已于次日办结"},
    "SuspensionRequest": {"procedure": "hearing", "reason": "涉及相邻权利人重大利益，依申请举行听证"},
}

PATHS = {
    "/api/v1/supervision/warnings": {
        "get": {
            "summary": "Open cases at yellow or red, the most urgent first (预警).",
            "tags": ["supervision"],
            "security": STAFF,
            "parameters": [{"name": "level", "in": "query", "required": False, "schema": {"enum": ["yellow", "red"]}}],
            "responses": {
                "200": list_response("The warnings.", "warnings", "Warning"),
                "400": problem("Unknown or bad query parameter."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/supervision/cases/{case_no}": {
        "get": {
            "summary": "Where a case stands against its time limit.",
            "tags": ["supervision"],
            "security": STAFF,
            "parameters": [CASE_NO],
            "responses": {
                "200": json_response("The standing.", "CaseStanding"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("Not watched, or not visible to the caller."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/supervision/cases/{case_no}/extensions": {
        "post": {
            "summary": "Approve an extension (延期): working days added to the case's limit. Chief representatives "
            "of the case's department; every view of the case (public, staff, tasks, supervision) "
            "then shows the new deadline.",
            "tags": ["supervision"],
            "security": STAFF,
            "parameters": [CASE_NO],
            "requestBody": request_body("ExtensionRequest", "The extension."),
            "responses": {
                "201": json_response("Approved.", "Extension"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": problem("Not a chief representative, or the caller's department does not own the case."),
                "404": problem("The case is not watched."),
                "409": problem("The case is no longer open."),
                "415": problem("Not JSON."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/supervision/cases/{case_no}/suspension": {
        "post": {
            "summary": "Start a special procedure (特别程序: 专家评审 expert review, 听证 hearing) the item allows: the "
            "case's time limit stops until it ends. Chief representatives of the case's department.",
            "tags": ["supervision"],
            "security": STAFF,
            "parameters": [CASE_NO],
            "requestBody": request_body("SuspensionRequest", "The procedure and why."),
            "responses": {
                "201": json_response("Started.", "Suspension"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": problem("Not a chief representative, or the caller's department does not own the case."),
                "404": problem("The case is not watched."),
                "409": problem("Not accepted yet, no longer open, or already in a special procedure."),
                "415": problem("Not JSON."),
                "422": problem("The item has no such special procedure."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/supervision/cases/{case_no}/resumption": {
        "post": {
            "summary": "End the case's special procedure: its time limit runs again from the next working day, and "
            "every view shows the new deadline.",
            "tags": ["supervision"],
            "security": STAFF,
            "parameters": [CASE_NO],
            "responses": {
                "200": json_response("Ended.", "Resumption"),
                "401": UNAUTHORIZED,
                "403": problem("Not a chief representative, or the caller's department does not own the case."),
                "404": problem("The case is not watched."),
                "409": problem("The case is not in a special procedure, or no longer open."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/supervision/accountability": {
        "get": {
            "summary": "Accountability records (问责), oldest first.",
            "tags": ["supervision"],
            "security": STAFF,
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "schema": {"enum": ["open", "acknowledged", "closed"]},
                }
            ],
            "responses": {
                "200": list_response("The records.", "records", "AccountabilityRecord"),
                "400": problem("Unknown or bad query parameter."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/supervision/accountability/{case_no}/acknowledge": {
        "post": {
            "summary": "A supervisor acknowledges an open record.",
            "tags": ["supervision"],
            "security": STAFF,
            "parameters": [CASE_NO],
            "responses": {
                "200": _RECORD,
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": _NO_RECORD,
                "409": problem("The record is not open."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/supervision/accountability/{case_no}/close": {
        "post": {
            "summary": "A supervisor closes a record with its resolution.",
            "tags": ["supervision"],
            "security": STAFF,
            "parameters": [CASE_NO],
            "requestBody": request_body("Resolution", "What was done."),
            "responses": {
                "200": _RECORD,
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": _NO_RECORD,
                "409": problem("The record is already closed."),
                "415": problem("Not JSON."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
}
