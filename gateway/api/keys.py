"""API keys for department systems (see ``gateway.api_keys``): admins issue, list and
revoke them. The key itself is in the answer to its creation only (and to a repeat of
that request with its Idempotency-Key: the request log keeps it sealed, see ``_sealed``)."""
import hashlib
import logging

from flask import Blueprint, current_app, g, jsonify

from gateway.api_keys import GRANTABLE_ROLES
from gateway.auth import requires_role
from gateway.idempotency import idempotency, once
from gateway.problems import Problem
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

log = logging.getLogger(__name__)

bp = Blueprint("keys", __name__, url_prefix="/api/v1/admin/api-keys")

KEY_ID = path_param("key_id", "The key's id (16 hex digits, the part after `hk_`).", r"^[0-9a-f]{16}$", 16)

SCHEMAS = {
    "ApiKeyRequest": {
        "type": "object", "additionalProperties": False,
        "required": ["name", "department", "permissions", "expires_in_days"],
        "example": {"name": "市场监管局审批系统", "department": "market_regulation",
                    "permissions": ["reviewer"], "expires_in_days": 90},
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 100, "description": "Which system uses it."},
            "department": {"type": "string", "pattern": r"^[a-z][a-z_]{1,47}$", "maxLength": 48,
                           "description": "The department the key acts for (a catalog department code)."},
            "permissions": {"type": "array", "minItems": 1, "maxItems": len(GRANTABLE_ROLES), "uniqueItems": True,
                            "items": {"enum": list(GRANTABLE_ROLES)}, "description": "The roles the key carries."},
            "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 365},
        },
    },
    "ApiKey": {
        "type": "object", "required": ["key_id", "name", "department", "permissions", "expires_at"],
        "properties": {"key_id": {"type": "string"}, "name": {"type": "string"}, "department": {"type": "string"},
                       "permissions": {"type": "array", "items": {"type": "string"}},
                       "created_by": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
                       "expires_at": {"type": "string", "format": "date-time"},
                       "revoked_at": {"type": ["string", "null"], "format": "date-time"}},
    },
    "IssuedApiKey": {
        "allOf": [{"$ref": "#/components/schemas/ApiKey"}, {"type": "object", "required": ["api_key"], "properties": {
            "api_key": {"type": "string", "description": "Send as `X-API-Key`. Shown this once: only its hash "
                                                         "is stored."}}}],
    },
}

PATHS = {
    "/api/v1/admin/api-keys": {
        "post": {"summary": "Issue an API key for a department system (admin); the key is shown once.",
                 "tags": ["admin"], "security": STAFF, "requestBody": request_body("ApiKeyRequest", "The key's scope."),
                 "responses": {"201": json_response("Issued.", "IssuedApiKey"), "400": problem("Not JSON."),
                               "401": UNAUTHORIZED, "403": FORBIDDEN, "415": problem("Not JSON."), "422": INVALID}},
        "get": {"summary": "Every API key with its scope, expiry and revocation (never the key) (admin).",
                "tags": ["admin"], "security": STAFF,
                "responses": {"200": list_response("The keys.", "keys", "ApiKey"), "401": UNAUTHORIZED,
                              "403": FORBIDDEN}},
    },
    "/api/v1/admin/api-keys/{key_id}/revoke": {"post": {
        "summary": "Revoke an API key at once, for every gateway replica (admin).", "tags": ["admin"],
        "security": STAFF, "parameters": [KEY_ID],
        "responses": {"200": json_response("Revoked.", "ApiKey"), "401": UNAUTHORIZED, "403": FORBIDDEN,
                      "404": problem("No such key.")}}},
}


def _keys():
    return current_app.extensions["api_keys"]


def _sealed(data, request_):
    """``data`` XOR a pad that only ``TOKEN_SECRET`` and the request's scoped Idempotency-Key
    make (SHAKE-256 as a keyed stream; each key seals one issued key): the issued key as the
    gateway's request log keeps it for a repeat, never in clear in the store."""
    pad = hashlib.shake_256(f"{current_app.config['TOKEN_SECRET']}\0{request_['key']}".encode("utf-8"))
    return bytes(a ^ b for a, b in zip(data, pad.digest(len(data))))


@bp.post("")
@requires_role("admin")
def issue_key():
    body = json_body("ApiKeyRequest")
    request_ = idempotency(body)

    def issue():
        view, key = _keys().create(body["name"], body["department"], body["permissions"], body["expires_in_days"],
                                   g.principal["username"])
        log.info("API key %s issued for department %s (%s) by %s", view["key_id"], view["department"],
                 ",".join(view["permissions"]), g.principal["username"])
        return dict(view, api_key=_sealed(key.encode("ascii"), request_).hex() if request_ else key), 201

    issued, status = once(request_, issue)
    if request_:
        issued = dict(issued, api_key=_sealed(bytes.fromhex(issued["api_key"]), request_).decode("ascii"))
    return jsonify(issued), status


@bp.get("")
@requires_role("admin")
def list_keys():
    return jsonify(keys=_keys().listing())


@bp.post("/<key_id>/revoke")
@requires_role("admin")
def revoke_key(key_id):
    def revoke():
        view = _keys().revoke(key_id)
        if view is None:
            raise Problem(404, "Not found", f"there is no API key {key_id}")
        log.info("API key %s of department %s revoked by %s", key_id, view["department"], g.principal["username"])
        return view, 200

    return once(idempotency(), revoke)
