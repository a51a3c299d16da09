"""Staff accounts (see ``gateway.staff_accounts``): admins create, list and disable them and
reset passwords. Who did it is kept on the account and in its audit collection."""

from flask import Blueprint, current_app, g, jsonify

from gateway import staff_roster
from gateway.auth import requires_role
from gateway.idempotency import idempotency, once
from gateway.metrics import current_request_id
from gateway.problems import Problem
from gateway.validation import json_body

bp = Blueprint("staff", __name__, url_prefix="/api/v1/admin/staff")


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
        view = _accounts().create(
            body["username"],
            body["display_name"],
            body["roles"],
            body["department"],
            body["password"],
            g.principal["username"],
            current_request_id(),
        )
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
