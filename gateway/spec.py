"""Building blocks for the OpenAPI document. Each domain describes its routes (``PATHS``)
and bodies (``SCHEMAS``) in ``gateway/api/specs/<domain>.py`` with these helpers;
``gateway/openapi.py`` assembles them."""


def problem(description):
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def json_response(description, schema_ref=None, schema=None):
    schema = schema or {"$ref": f"#/components/schemas/{schema_ref}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def list_response(description, key, schema_ref):
    """``{key: [<schema_ref>, ...]}``."""
    return json_response(
        description,
        schema={
            "type": "object",
            "properties": {key: {"type": "array", "items": {"$ref": f"#/components/schemas/{schema_ref}"}}},
        },
    )


def path_param(name, description, pattern=None, max_length=64):
    schema = {"type": "string", "maxLength": max_length}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def request_body(schema_ref, description):
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


STAFF = [{"bearerAuth": []}, {"apiKeyAuth": []}]  # staff with a token, or a department system's API key
UNAUTHORIZED = problem("No valid bearer token.")
FORBIDDEN = problem("The caller's role may not do this.")
INVALID = problem("The request breaks a rule; `errors` lists each field.")
# An outage (gateway.problems): a service, the broker or the store out of reach, or a service silent
# until the RPC timeout, after which the request may still be carried out.
UNAVAILABLE = dict(
    problem(
        "A service behind the gateway, the broker or the store is out of reach, or a service did "
        "not answer in time (the request may still be carried out): send it again after "
        "`Retry-After` seconds, a write with the same Idempotency-Key."
    ),
    headers={
        "Retry-After": {
            "description": "Seconds to wait before sending the request again.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
)
CASE_NO = path_param("case_no", "Case number (办件编号): YYYYMMDD + 6-digit daily sequence.", r"^[0-9]{14}$", 14)

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "description": "RFC 9457 problem details; `errors` lists field errors.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}},
        },
    },
}
