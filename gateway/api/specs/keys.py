"""OpenAPI fragments of ``gateway.api.keys``: paths, schemas, request examples."""

from gateway.api_keys import GRANTABLE_ROLES
from gateway.spec import (
    FORBIDDEN,
    INVALID,
    STAFF,
    UNAUTHORIZED,
    json_response,
    list_response,
    path_param,
    problem,
    request_body,
)

KEY_ID = path_param("key_id", "The key's id (16 hex digits, the part after `hk_`).", r"^[0-9a-f]{16}$", 16)

SCHEMAS = {
    "ApiKeyRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "department", "permissions", "expires_in_days"],
        "example": {
            "name": "市场监管局审批系统",
            "department": "market_regulation",
            "permissions": ["reviewer"],
            "expires_in_days": 90,
        },
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 100, "description": "Which system uses it."},
            "department": {
                "type": "string",
                "pattern": r"^[a-z][a-z_]{1,47}$",
                "maxLength": 48,
                "description": "The department the key acts for (a catalog department code).",
            },
            "permissions": {
                "type": "array",
                "minItems": 1,
                "maxItems": len(GRANTABLE_ROLES),
                "uniqueItems": True,
                "items": {"enum": list(GRANTABLE_ROLES)},
                "description": "The roles the key carries.",
            },
            "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 365},
        },
    },
    "ApiKey": {
        "type": "object",
        "required": ["key_id", "name", "department", "permissions", "expires_at"],
        "properties": {
            "key_id": {"type": "string"},
            "name": {"type": "string"},
            "department": {"type": "string"},
            "permissions": {"type": "array", "items": {"type": "string"}},
            "created_by": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "expires_at": {"type": "string", "format": "date-time"},
            "revoked_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "IssuedApiKey": {
        "allOf": [
            {"$ref": "#/components/schemas/ApiKey"},
            {
                "type": "object",
                "required": ["api_key"],
                "properties": {
                    "api_key": {
                        "type": "string",
                        "description": "Send as `X-API-Key`. Shown this once: only its hash is stored.",
                    }
                },
            },
        ],
    },
}

PATHS = {
    "/api/v1/admin/api-keys": {
        "post": {
            "summary": "Issue an API key for a department system (admin); the key is shown once.",
            "tags": ["admin"],
            "security": STAFF,
            "requestBody": request_body("ApiKeyRequest", "The key's scope."),
            "responses": {
                "201": json_response("Issued.", "IssuedApiKey"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "415": problem("Not JSON."),
                "422": INVALID,
            },
        },
        "get": {
            "summary": "Every API key with its scope, expiry and revocation (never the key) (admin).",
            "tags": ["admin"],
            "security": STAFF,
            "responses": {"200": list_response("The keys.", "keys", "ApiKey"), "401": UNAUTHORIZED, "403": FORBIDDEN},
        },
    },
    "/api/v1/admin/api-keys/{key_id}/revoke": {
        "post": {
            "summary": "Revoke an API key at once, for every gateway replica (admin).",
            "tags": ["admin"],
            "security": STAFF,
            "parameters": [KEY_ID],
            "responses": {
                "200": json_response("Revoked.", "ApiKey"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": problem("No such key."),
            },
        }
    },
}
