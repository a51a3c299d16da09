"""OpenAPI fragments of ``gateway.api.stats``: paths, schemas, request examples."""

from gateway.spec import FORBIDDEN, INVALID, STAFF, UNAUTHORIZED, UNAVAILABLE, json_response, problem

_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_FIGURES = {
    "type": "object",
    "properties": {
        "submitted": {"type": "integer"},
        "decided": {"type": "integer"},
        "decided_on_time": {"type": "integer"},
        "on_time_rate": _RATE,
        "decided_on_the_spot": {"type": "integer"},
        "one_visit_rate": _RATE,
        "supplement_requests": {
            "type": "integer",
            "description": "Supplement requests (补正告知) made in the period on the cases submitted in it.",
        },
        "supplements_received": {
            "type": "integer",
            "description": "Supplements received in the period on the cases submitted in it.",
        },
        "open_yellow": {"type": "integer"},
        "open_red": {"type": "integer"},
        "evaluations": {"type": "integer"},
        "good_evaluations": {"type": "integer"},
        "satisfaction_rate": _RATE,
    },
}
_DAY = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$", "maxLength": 10}

SCHEMAS = {
    "Figures": _FIGURES,
    "Statistics": {
        "type": "object",
        "description": "on_time_rate = decided within the limit ÷ decided; one_visit_rate (一次办结率) = "
        "decided on the spot (the department's chief representative accepted and decided the "
        "case in one sitting) ÷ decided; satisfaction_rate = good ÷ all evaluations; open_* are "
        "open cases at yellow/red now.",
        "properties": {
            "period": {"type": "object", "properties": {"first_day": _DAY, "last_day": _DAY}},
            "filters": {"type": "object"},
            "hall": {"$ref": "#/components/schemas/Figures"},
            "cases_per_day": {
                "type": "array",
                "items": {"type": "object", "properties": {"day": _DAY, "submitted": {"type": "integer"}}},
            },
            "queue": {
                "type": "object",
                "description": "The hall's queue: first calls in the period and "
                "the average wait from ticket to first call.",
                "properties": {"called": {"type": "integer"}, "average_wait_seconds": {"type": ["number", "null"]}},
            },
            "by_department": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Figures"}},
            "by_item": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Figures"}},
        },
    },
}

PATHS = {
    "/api/v1/stats": {
        "get": {
            "summary": "Cases per day, on-time, one-visit and satisfaction rates, warnings — by department and item, for a "
            "period of days (Asia/Shanghai; default the last 30).",
            "tags": ["supervision"],
            "security": STAFF,
            "parameters": [
                {"name": "first_day", "in": "query", "required": False, "schema": _DAY},
                {"name": "last_day", "in": "query", "required": False, "schema": _DAY},
                {"name": "department", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 64}},
                {"name": "item_code", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 32}},
            ],
            "responses": {
                "200": json_response("The statistics.", "Statistics"),
                "400": problem("Unknown or bad query parameter."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        }
    },
}
