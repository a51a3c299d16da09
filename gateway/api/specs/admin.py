"""OpenAPI fragments of ``gateway.api.admin``: paths, schemas, request examples."""

from gateway.spec import FORBIDDEN, INVALID, STAFF, UNAUTHORIZED, UNAVAILABLE, json_response, problem, request_body

SCHEMAS = {
    "ClockMove": {
        "type": "object",
        "additionalProperties": False,
        "description": "Either advance the clock by `advance_seconds`, or set its offset from real time "
        "(`offset_seconds`, 0 = real time).",
        "oneOf": [{"required": ["advance_seconds"]}, {"required": ["offset_seconds"]}],
        "properties": {
            "advance_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 315360000},
            "offset_seconds": {"type": "number", "minimum": 0, "maximum": 315360000},
        },
    },
    "Clock": {
        "type": "object",
        "required": ["offset_ms", "now"],
        "properties": {
            "offset_ms": {"type": "integer", "description": "Platform time minus real time."},
            "now": {"type": "string", "format": "date-time", "description": "The platform's time."},
        },
    },
}

_NOT_IN_PRODUCTION = problem("Production mode: the platform clock cannot be moved.")

EXAMPLES = {"ClockMove": {"advance_seconds": 86400}}  # request bodies in the OpenAPI document

PATHS = {
    "/api/v1/admin/clock": {
        "get": {
            "summary": "The platform clock (demo and test mode).",
            "tags": ["admin"],
            "security": STAFF,
            "responses": {
                "200": json_response("The clock.", "Clock"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": _NOT_IN_PRODUCTION,
                "503": UNAVAILABLE,
            },
        },
        "post": {
            "summary": "Move the platform clock forward (demo and test mode only).",
            "tags": ["admin"],
            "security": STAFF,
            "requestBody": request_body("ClockMove", "How far."),
            "responses": {
                "200": json_response("The clock, moved.", "Clock"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": _NOT_IN_PRODUCTION,
                "415": problem("Not JSON."),
                "422": INVALID,
                "503": UNAVAILABLE,
            },
        },
    },
}
