"""Staff accounts (see ``gateway.staff_accounts``): admins create, list and disable them and
reset passwords. Who did it is kept on the account and in its audit collection."""
from flask import Blueprint, current_app, g, jsonify

from gateway import staff_roster
from gateway.auth import requires_role
from gateway.idempotency import idempotency, once
from gateway.metrics import current_request_id
from gateway.problems import Problem
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
from gateway.validation import json_body
from services.common.staff_roles import STAFF_ROLES

bp = Blueprint("staff", __name__, url_prefix="/api/v1/admin/staff")

USERNAME_PATTERN = r"^[a-z][a-z0-9_.-]{2,31}$"
USERNAME = path_param("username", "The account's username.", USERNAME_PATTERN, 32)
PASSWORD = {"type": "string", "minLength": MIN_PASSWORD_LENGTH, "maxLength": 256,
            "description": f"At least {MIN_PASSWORD_LENGTH} characters; stored only as a PBKDF2 hash."}

SCHEMAS = {
    "StaffAccountRequest": {
        "type": "object", "additionalProperties": False,
        "required": ["username", "display_name", "roles", "department", "password"],
        "properties": {
            "username": {"type": "string", "pattern": USERNAME_PATTERN, "maxLength": 32},
            "display_name": {"type": "string", "minLength": 1, "maxLength": 100,
                             "description": "Shown to colleagues, e.g. 市场监管审查员 王芳."},
            "roles": {"type": "array", "minItems": 1, "maxItems": len(STAFF_ROLES), "uniqueItems": True,
                      "items": {"enum": list(STAFF_ROLES)}, "description": "What the person does in the hall."},
            "department": {"type": "string", "pattern": r"^[a-z][a-z_]{1,47}$", "maxLength": 48,
                           "description": "The person's department (a catalog department code, or `hall`, "
                                          "`supervision`)."},
            "password": PASSWORD,
        },
    },
    "PasswordReset": {"type": "object", "additionalProperties": False, "required": ["password"],
                      "properties": {"password": PASSWORD}},
    "StaffAccount": {
        "type": "object", "required": ["username", "display_name", "roles", "department", "disabled"],
        "properties": {"username": {"type": "string"}, "display_name": {"type": "string"},
                       "roles": {"type": "array", "items": {"type": "string"}}, "department": {"type": "string"},
                       "disabled": {"type": "boolean"}, "created_by": {"type": "string"},
                       "created_at": {"type": "string", "format": "date-time"},
                       "password_set_by": {"type": "string"},
                       "password_set_at": {"type": "string", "format": "date-time"},
                       "disabled_by": {"type": ["string", "null"]},
                       "disabled_at": {"type": ["string", "null"], "format": "date-time"}},
    },
}

EXAMPLES = {  # request bodies in the OpenAPI document
    "StaffAccountRequest": {"username": "wang.fang", "display_name": "市场监管审查员 王芳", "roles": ["reviewer"],
                            "department": "market_regulation", "password": "correct-horse-battery"},
    "PasswordReset": {"password": "another-long-secret"},
}

NO_SUCH_ACCOUNT = problem("No such account.")

PATHS = {
    "/api/v1/admin/staff": {
        "post": {"summary": "Create a staff account (admin).", "tags": ["admin"], "security": STAFF,
                 "requestBody": request_body("StaffAccountRequest", "The person, their roles and password."),
                 "responses": {"201": json_response("Created.", "StaffAccount"), "400": problem("Not JSON."),
                               "401": UNAUTHORIZED, "403": FORBIDDEN,
                               "409": problem("The username is taken (also by a disabled account or a demo user)."),
                               "415": problem("Not JSON."), "422": INVALID}},
        "get": {"summary": "Every staff account, enabled or disabled (never a password) (admin).", "tags": ["admin"],
                "security": STAFF,
                "responses": {"200": list_response("The accounts.", "accounts", "StaffAccount"),
                              "401": UNAUTHORIZED, "403": FORBIDDEN}},
    },
    "/api/v1/admin/staff/{username}/disable": {"post": {
        "summary": "Disable an account: it cannot sign in, and its tokens stop working at once (admin).",
        "tags": ["admin"], "security": STAFF, "parameters": [USERNAME],
        "responses": {"200": json_response("Disabled.", "StaffAccount"), "401": UNAUTHORIZED, "403": FORBIDDEN,
                      "404": NO_SUCH_ACCOUNT, "409": problem("An admin cannot disable their own account.")}}},
    "/api/v1/admin/staff/{username}/password": {"post": {
        "summary": "Set a new password; tokens issued before stop working (admin).", "tags": ["admin"],
        "security": STAFF, "parameters": [USERNAME], "requestBody": request_body("PasswordReset", "The password."),
        "responses": {"200": json_response("Reset.", "StaffAccount"), "400": problem("Not JSON."),
                      "401": UNAUTHORIZED, "403": FORBIDDEN, "404": NO_SUCH_ACCOUNT, "415": problem("Not JSON."),
                      "422": INVALID}}},
}


def _accounts():
    return current_app.extensions["users"].accounts


def _no_such(username):
    return Problem(404, "Not found", f"there is no staff account {username}")


@bp.post("")
@requires_role("admin")
def create_account():
    body = json_body("StaffAccountRequest")
    taken = Problem(409, "Conflict", f"the username {body['username']} is taken")
    if current_app.extensions["users"].is_demo_user(body["username"]):
        raise taken

    def create():
        view = _accounts().create(body["username"], body["display_name"], body["roles"], body["department"],
                                  body["password"], g.principal["username"], current_request_id())
        if view is None:
            raise taken
        staff_roster.send(current_app, [staff_roster.member(view)])
        return view, 201

    return once(idempotency(body), create)


@bp.get("")
@requires_role("admin")
def list_accounts():
    return jsonify(accounts=_accounts().listing())


@bp.post("/<username>/disable")
@requires_role("admin")
def disable_account(username):
    if username == g.principal["username"]:
        raise Problem(409, "Conflict", "an admin cannot disable their own account")

    def disable():
        view = _accounts().disable(username, g.principal["username"], current_request_id())
        if view is None:
            raise _no_such(username)
        staff_roster.send(current_app, [staff_roster.member(view)])
        return view, 200

    return once(idempotency(), disable)


@bp.post("/<username>/password")
@requires_role("admin")
def reset_password(username):
    body = json_body("PasswordReset")

    def reset():
        view = _accounts().set_password(username, body["password"], g.principal["username"], current_request_id())
        if view is None:
            raise _no_such(username)
        return view, 200

    return once(idempotency(body), reset)
