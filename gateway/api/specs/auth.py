"""OpenAPI fragments of ``gateway.api.auth``: paths, schemas, request examples."""

from gateway.spec import INVALID, json_response, problem, request_body

SCHEMAS = {
    "TokenRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["username", "password"],
        "properties": {
            "username": {"type": "string", "minLength": 1, "maxLength": 64},
            "password": {"type": "string", "minLength": 1, "maxLength": 256},
        },
    },
    "Token": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer"},
            "roles": {"type": "array", "items": {"type": "string"}},
            "department": {"type": "string"},
        },
    },
}

EXAMPLES = {"TokenRequest": {"username": "clerk", "password": "demo"}}  # request bodies in the OpenAPI document

PATHS = {
    "/api/v1/auth/token": {
        "post": {
            "summary": "Log in: exchange username and password for a bearer token.",
            "tags": ["auth"],
            "requestBody": request_body("TokenRequest", "Staff credentials."),
            "responses": {
                "200": json_response("A bearer token.", "Token"),
                "400": problem("Not JSON."),
                "401": problem("Wrong username or password."),
                "415": problem("Not JSON."),
                "422": INVALID,
                "429": problem(
                    "Too many failed logins of this username (from this address, or from "
                    "anywhere) or from this address: wait `Retry-After` seconds "
                    "(gateway/limits.py)."
                ),
            },
        }
    },
}
