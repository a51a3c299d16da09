"""Logging in: username and password for a bearer token."""

from flask import Blueprint, current_app, jsonify

from gateway.auth import issue_token
from gateway.limits import count_failure, count_success, refuse_while_guessing
from gateway.problems import Problem
from gateway.validation import json_body

bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth")


@bp.post("/token")
def token():
    body = json_body("TokenRequest")
    refuse_while_guessing(body["username"])
    user = current_app.extensions["users"].authenticate(body["username"], body["password"])
    if user is None:
        count_failure(body["username"])
        raise Problem(401, "Unauthorized", "wrong username or password")
    count_success(body["username"])
    ttl = current_app.config["TOKEN_TTL_SECONDS"]
    return jsonify(
        access_token=issue_token(user, current_app.config["TOKEN_SECRET"], ttl),
        token_type="Bearer",
        expires_in=ttl,
        roles=list(user.roles),
        department=user.department,
    )
