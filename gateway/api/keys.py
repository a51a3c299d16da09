"""API keys for department systems (see ``gateway.api_keys``): admins issue, list and
revoke them. The key itself is in the answer to its creation only (and to a repeat of
that request with its Idempotency-Key: the request log keeps it sealed, see ``_sealed``)."""

import hashlib
import logging

from flask import Blueprint, current_app, g, jsonify

from gateway.auth import requires_role
from gateway.idempotency import idempotency, once
from gateway.problems import Problem
from gateway.validation import json_body

log = logging.getLogger(__name__)

bp = Blueprint("keys", __name__, url_prefix="/api/v1/admin/api-keys")


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
        view, key = _keys().create(
            body["name"], body["department"], body["permissions"], body["expires_in_days"], g.principal["username"]
        )
        log.info(
            "API key %s issued for department %s (%s) by %s",
            view["key_id"],
            view["department"],
            ",".join(view["permissions"]),
            g.principal["username"],
        )
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
