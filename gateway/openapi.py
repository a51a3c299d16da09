"""The OpenAPI 3.1 document of the gateway, assembled from what each domain's module in
``gateway/api/specs`` declares (``PATHS``, ``SCHEMAS``, ``EXAMPLES`` of its request bodies).
``gateway.validation`` checks request bodies against the same schemas, so the document and
the checks cannot disagree."""

from gateway.api.specs import (
    admin,
    auth,
    cases,
    catalog,
    complaints,
    docs,
    health,
    items,
    keys,
    materials,
    messages,
    payments,
    processes,
    queue,
    staff,
    stats,
    supervision,
    tasks,
    test_runs,
    web,
)
from gateway.idempotency import KEY_PARAMETER, NOT_WRITES, WRITE_METHODS
from gateway.spec import PROBLEM_SCHEMA, problem

RATE_LIMITED = dict(
    problem("Too many requests from this API key or address (RATE_LIMIT_PER_MINUTE): wait `Retry-After` seconds."),
    headers={
        "Retry-After": {
            "description": "Seconds to wait before the next request.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
)


KEY_CONFLICT = (
    "Or the Idempotency-Key: used for another request, or its first request still running "
    "(`Retry-After`: send the same request again with the same key then)."
)
RETRY_AFTER = {
    "Retry-After": {
        "description": "With a running Idempotency-Key: seconds after which to send the same request again.",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _add_key_conflict(responses):
    """The operation's 409, saying what a key adds (a new dict: modules share response objects)."""
    own = responses.get("409")
    description = f"{own['description']} {KEY_CONFLICT}" if own else KEY_CONFLICT
    responses["409"] = dict(problem(description), headers=RETRY_AFTER)


# In the order of the document, as ``gateway.domains`` registers the blueprints.
SPECS = (
    health,
    auth,
    items,
    catalog,
    cases,
    messages,
    materials,
    tasks,
    processes,
    test_runs,
    payments,
    supervision,
    complaints,
    stats,
    admin,
    queue,
    web,
    docs,
    keys,
    staff,
)


def build_spec(specs=SPECS):
    paths, schemas, examples = {}, {"Problem": PROBLEM_SCHEMA}, {}
    for module in specs:
        for path, operations in getattr(module, "PATHS", {}).items():
            paths.setdefault(path, {}).update(operations)
        schemas.update(getattr(module, "SCHEMAS", {}))
        examples.update(getattr(module, "EXAMPLES", {}))
    for operations in paths.values():  # a module's EXAMPLES: a request body for each of its schemas
        for operation in operations.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                name = media["schema"].get("$ref", "").rsplit("/", 1)[-1]
                if name in examples or "example" in schemas.get(name, {}):
                    media.setdefault("example", examples.get(name) or schemas[name]["example"])
    for path, operations in paths.items():
        if path.startswith("/api/"):  # gateway.limits limits every API request
            for operation in (op for op in operations.values() if "responses" in op):
                operation["responses"].setdefault("429", RATE_LIMITED)
                operation["responses"]["429"].setdefault("headers", RATE_LIMITED["headers"])
        for method, operation in operations.items():  # gateway.idempotency: every write takes a key
            if method in WRITE_METHODS and (method, path) not in NOT_WRITES:
                operation.setdefault("parameters", []).append(KEY_PARAMETER)
                _add_key_conflict(operation["responses"])
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Government service hall gateway (政务服务中心)",
            "version": "0.1.0",
            "description": "One-stop government service hall: the public catalog, applications, work lists, "
            "BPMN processes. Errors are application/problem+json (RFC 9457).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Staff: POST /api/v1/auth/token.",
                },
                "apiKeyAuth": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-API-Key",
                    "description": "A department system's key (admins issue it at "
                    "/api/v1/admin/api-keys): its department and permissions.",
                },
            },
        },
    }
