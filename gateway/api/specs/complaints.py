"""OpenAPI fragments of ``gateway.api.complaints``: paths, schemas, request examples."""

from gateway.spec import (
    FORBIDDEN,
    INVALID,
    STAFF,
    UNAUTHORIZED,
    UNAVAILABLE,
    json_response,
    list_response,
    path_param,
    problem,
    request_body,
)

COMPLAINT_NO = path_param(
    "complaint_no", "Complaint number: T + YYYYMMDD + 4-digit daily sequence.", r"^T[0-9]{12}$", 13
)
CASE_NO = path_param("case_no", "Case number (办件编号).", r"^[0-9]{14}$", 14)
_TEXT = {"type": ["string", "null"]}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS = {
    "ComplaintForm": {
        "type": "object",
        "additionalProperties": False,
        "required": ["category", "content"],
        "properties": {
            "category": {
                "enum": ["efficiency", "conduct", "fees", "investor_hotline", "other"],
                "description": '`investor_hotline`: the enterprise/investor "110" hotline.',
            },
            "channel": {
                "enum": ["public", "window", "hotline"],
                "default": "public",
                "description": "Online by the complainant, or entered by staff at the complaint window "
                "or from a hotline call.",
            },
            "content": {"type": "string", "minLength": 1, "maxLength": 4000},
            "case_no": {"type": "string", "pattern": "^[0-9]{14}$", "maxLength": 14},
            "department": {"type": "string", "maxLength": 64},
            "complainant": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "maxLength": 100},
                    "phone": {"type": "string", "maxLength": 32},
                    "company": {"type": "string", "maxLength": 200},
                },
            },
        },
    },
    "ComplaintReceipt": {
        "type": "object",
        "required": ["complaint_no", "follow_code", "status"],
        "properties": {
            "complaint_no": {"type": "string"},
            "follow_code": {"type": "string"},
            "status": {"type": "string"},
            "accept_by": _INSTANT,
        },
    },
    "Complaint": {
        "type": "object",
        "properties": {
            "complaint_no": {"type": "string"},
            "category": {"type": "string"},
            "channel": {"type": "string"},
            "case_no": _TEXT,
            "department": _TEXT,
            "content": {"type": "string"},
            "complainant": {"type": "object"},
            "status": {
                "enum": ["received", "accepted", "rejected", "investigating", "resolved", "feedback_given", "archived"]
            },
            "level": {"enum": ["green", "yellow", "red", None]},
            "received_at": _INSTANT,
            "accept_by": _INSTANT,
            "resolve_by": _INSTANT,
            "stages": {"type": "object"},
        },
    },
    "ComplaintMove": {
        "type": "object",
        "additionalProperties": False,
        "required": ["to"],
        "properties": {
            "to": {"enum": ["accepted", "rejected", "investigating", "resolved", "feedback_given", "archived"]},
            "note": {
                "type": "string",
                "maxLength": 4000,
                "description": "Required for rejected, resolved and feedback_given.",
            },
        },
    },
    "EvaluationForm": {
        "type": "object",
        "additionalProperties": False,
        "required": ["case_no", "query_code", "level"],
        "properties": {
            "case_no": {"type": "string", "pattern": "^[0-9]{14}$", "maxLength": 14},
            "query_code": {"type": "string", "minLength": 1, "maxLength": 16},
            "level": {
                "type": "integer",
                "minimum": 1,
                "maximum": 5,
                "description": "5 very satisfied … 1 very dissatisfied; 1 and 2 are bad reviews.",
            },
            "comment": {"type": "string", "maxLength": 2000},
        },
    },
    "Evaluation": {
        "type": "object",
        "properties": {
            "case_no": {"type": "string"},
            "level": {"type": "integer"},
            "level_name": {"type": "string"},
            "bad": {"type": "boolean"},
            "comment": _TEXT,
            "department": _TEXT,
            "item_code": _TEXT,
            "evaluated_at": _INSTANT,
            "rectification_status": {"enum": ["open", "done", None]},
            "rectify_by": _INSTANT,
            "rectification": _TEXT,
            "callback_note": _TEXT,
            "rectified_by": _TEXT,
            "rectified_at": _INSTANT,
        },
    },
    "Rectification": {
        "type": "object",
        "additionalProperties": False,
        "required": ["rectification", "callback_note"],
        "properties": {
            "rectification": {"type": "string", "minLength": 1, "maxLength": 4000},
            "callback_note": {
                "type": "string",
                "minLength": 1,
                "maxLength": 4000,
                "description": "The call-back to the applicant (回访).",
            },
        },
    },
}

EXAMPLES = {  # request bodies in the OpenAPI document
    "ComplaintForm": {
        "category": "efficiency",
        "channel": "public",
        "content": "营业执照办理超过承诺时限仍未办结",
        "case_no": "20261126000001",
        "department": "market_regulation",
        "complainant": {"name": "张三", "phone": "13800000000"},
    },
    "ComplaintMove": {"to": "resolved", "note": "已督促市场监管局办结并向投诉人反馈"},
    "EvaluationForm": {
        "case_no": "20261126000001",
        "query_code": "K7Q2M9PA",
        "level": 5,
        "comment": "一次办好，很满意",
    },
    "Rectification": {
        "rectification": "窗口增加一名受理人员，材料一次性告知",
        "callback_note": "已电话回访，申请人表示满意",
    },
}

PATHS = {
    "/api/v1/complaints": {
        "post": {
            "summary": "File a complaint (效能投诉) or an investor-hotline call; no account needed.",
            "tags": ["complaints"],
            "requestBody": request_body("ComplaintForm", "The complaint."),
            "responses": {
                "201": json_response("Received; keep the follow code.", "ComplaintReceipt"),
                "400": problem("Not JSON."),
                "415": problem("Not JSON."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        },
        "get": {
            "summary": "Complaints not yet closed (or of one status), with their warning level.",
            "tags": ["complaints"],
            "security": STAFF,
            "parameters": [
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "schema": SCHEMAS["Complaint"]["properties"]["status"],
                }
            ],
            "responses": {
                "200": list_response("The complaints.", "complaints", "Complaint"),
                "400": problem("Unknown or bad query parameter."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "503": UNAVAILABLE,
            },
        },
    },
    "/api/v1/complaints/{complaint_no}/transitions": {
        "post": {
            "summary": "Move a complaint along intake → investigation → resolution → feedback → archive.",
            "tags": ["complaints"],
            "security": STAFF,
            "parameters": [COMPLAINT_NO],
            "requestBody": request_body("ComplaintMove", "The next status."),
            "responses": {
                "200": json_response("Moved.", "Complaint"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such complaint."),
                "409": problem("Not the next status."),
                "415": problem("Not JSON."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/public/complaints/{complaint_no}": {
        "get": {
            "summary": "Follow a complaint with its follow code.",
            "tags": ["complaints"],
            "parameters": [
                COMPLAINT_NO,
                {
                    "name": "follow_code",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 16},
                },
            ],
            "responses": {
                "200": json_response("Its status and stages.", "Complaint"),
                "400": problem("The follow code is missing."),
                "404": problem("No complaint with this number and follow code."),
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/evaluations": {
        "post": {
            "summary": "Evaluate a case (好差评), once, with its query code.",
            "tags": ["evaluations"],
            "requestBody": request_body("EvaluationForm", "The evaluation."),
            "responses": {
                "201": json_response("Recorded.", "Evaluation"),
                "400": problem("Not JSON."),
                "404": problem("No case with this number and query code."),
                "409": problem(
                    "The case has no outcome yet (a decided, collected or refused case "
                    "is evaluated), or it was already evaluated."
                ),
                "415": problem("Not JSON."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/evaluations/rectifications": {
        "get": {
            "summary": "Bad reviews waiting for (or done with) their rectification.",
            "tags": ["evaluations"],
            "security": STAFF,
            "parameters": [{"name": "status", "in": "query", "required": False, "schema": {"enum": ["open", "done"]}}],
            "responses": {
                "200": list_response("The bad reviews.", "evaluations", "Evaluation"),
                "400": problem("Unknown or bad query parameter."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "503": UNAVAILABLE,
            },
        }
    },
    "/api/v1/evaluations/{case_no}/rectification": {
        "post": {
            "summary": "Close a bad review's rectification with what was done and the call-back note.",
            "tags": ["evaluations"],
            "security": STAFF,
            "parameters": [CASE_NO],
            "requestBody": request_body("Rectification", "What was done."),
            "responses": {
                "200": json_response("Done.", "Evaluation"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No bad review of this case."),
                "409": problem("Already done."),
                "415": problem("Not JSON."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
}
