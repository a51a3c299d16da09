"""OpenAPI fragments of ``gateway.api.staff``: paths, schemas, request examples."""

from gateway.production import MIN_PASSWORD_LENGTH
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
from services.common.staff_roles import STAFF_ROLES

USERNAME_PATTERN = r"^[a-z][a-z0-9_.-]{2,31}$"
USERNAME = path_param("username", "The account's username.", USERNAME_PATTERN, 32)
PASSWORD = {
    "type": "string",
    "minLength": MIN_PASSWORD_LENGTH,
    "maxLength": 256,
    "description": f"At least {MIN_PASSWORD_LENGTH} characters; stored only as a PBKDF2 hash.",
}

SCHEMAS = {
    "StaffAccountRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["username", "display_name", "roles", "department", "password"],
        "properties": {
            "username": {"type": "string", "pattern": USERNAME_PATTERN, "maxLength": 32},
            "display_name": {
                "type": "string",
                "minLength": 1,
                "maxLength": 100,
                "description": "Shown to colleagues, e.g. 市场监管审查员 王芳.",
            },
            "roles": {
                "type": "array",
                "minItems": 1,
                "maxItems": len(STAFF_ROLES),
                "uniqueItems": True,
                "items": {"enum": list(STAFF_ROLES)},
                "description": "What the person does in the hall.",
            },
            "department": {
                "type": "string",
                "pattern": r"^[a-z][a-z_]{1,47}$",
                "maxLength": 48,
                "description": "The person's department (a catalog department code, or `hall`, `supervision`).",
            },
            "password": PASSWORD,
        },
    },
    "PasswordReset": {
        "type": "object",
        "additionalProperties": False,
        "required": ["password"],
        "properties": {"password": PASSWORD},
    },
    "StaffAccount": {
        "type": "object",
        "required": ["username", "display_name", "roles", "department", "disabled"],
        "properties": {
            "username": {"type": "string"},
            "display_name": {"type": "string"},
            "roles": {"type": "array", "items": {"type": "string"}},
            "department": {"type": "string"},
            "disabled": {"type": "boolean"},
            "created_by": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "password_set_by": {"type": "string"},
            "password_set_at": {"type": "string", "format": "date-time"},
            "disabled_by": {"type": ["string", "null"]},
            "disabled_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
}

EXAMPLES = {  # request bodies in the OpenAPI document
    "StaffAccountRequest": {
        "username": "wang.fang",
        "display_name": "市场监管审查员 王芳",
        "roles": ["reviewer"],
        "department": "market_regulation",
        "password": "correct-horse-battery",
    },
    "PasswordReset": {"password": "another-long-secret"},
}

NO_SUCH_ACCOUNT = problem("No such account.")

PATHS = {
    "/api/v1/admin/staff": {
        "post": {
            "summary": "Create a staff account (admin).",
            "tags": ["admin"],
            "security": STAFF,
            "requestBody": request_body("StaffAccountRequest", "The person, their roles and password."),
            "responses": {
                "201": json_response("Created.", "StaffAccount"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "409": problem("The username is taken (also by a disabled account or a demo user)."),
                "415": problem("Not JSON."),
                "422": INVALID,
            },
        },
        "get": {
            "summary": "Every staff account, enabled or disabled (never a password) (admin).",
            "tags": ["admin"],
            "security": STAFF,
            "responses": {
                "200": list_response("The accounts.", "accounts", "StaffAccount"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
            },
        },
    },
    "/api/v1/admin/staff/{username}/disable": {
        "post": {
            "summary": "Disable an account: it cannot sign in, and its tokens stop working at once (admin).",
            "tags": ["admin"],
            "security": STAFF,
            "parameters": [USERNAME],
            "responses": {
                "200": json_response("Disabled.", "StaffAccount"),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": NO_SUCH_ACCOUNT,
                "409": problem("An admin cannot disable their own account."),
            },
        }
    },
    "/api/v1/admin/staff/{username}/password": {
        "post": {
            "summary": "Set a new password; tokens issued before stop working (admin).",
            "tags": ["admin"],
            "security": STAFF,
            "parameters": [USERNAME],
            "requestBody": request_body("PasswordReset", "The password."),
            "responses": {
                "200": json_response("Reset.", "StaffAccount"),
                "400": problem("Not JSON."),
                "401": UNAUTHORIZED,
                "403": FORBIDDEN,
                "404": NO_SUCH_ACCOUNT,
                "415": problem("Not JSON."),
                "422": INVALID,
            },
        }
    },
}
