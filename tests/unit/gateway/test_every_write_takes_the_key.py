"""Every write endpoint honours the Idempotency-Key (``docs/api.md``): each POST, PUT, PATCH
and DELETE of the app's url map (but the two that change nothing) is sent its OpenAPI
example with a key, by a caller its roles admit, and the key must reach the rule — in the
call to the owning service (``idempotency=``) or in the gateway's own request log. A new
write endpoint that forgets the key fails here."""

import io

import pytest

from gateway.auth import DEMO_USERS
from gateway.idempotency import NOT_WRITES, WRITE_METHODS
from gateway.rpc import RemoteError
from services.common.idempotency import COLLECTION, RequestLog
from tests.unit.gateway.conftest import MemoryCollection
from tests.unit.gateway.test_openapi import flask_operations
from tests.unit.gateway.test_role_matrix import _concrete

KEY = "wiring-check-0001"


class Anything(dict):
    """A service's answer to a read the handler makes first: every field is there and true."""

    def __missing__(self, key):
        return True


class KeyRecordingRpc:
    """Services that answer reads with ``Anything`` and refuse every call that carries a key
    (NotFound), noting the key."""

    def __init__(self):
        self.keys = []

    def call(self, service, method, *args, timeout=None, idempotency=None, **kwargs):
        if idempotency is None:
            return Anything()
        self.keys.append(idempotency["key"])
        raise RemoteError(service, {"exc_type": "NotFound", "exc_args": ["nothing here", []], "value": "nothing"})


class KeyRecordingLog(RequestLog):
    """The gateway's own log, noting the key of each write it is asked to run."""

    def __init__(self):
        super().__init__({COLLECTION: MemoryCollection()})
        self.keys = []

    def once(self, request, effect, outcome=None):
        self.keys.append(request and request["key"])
        return super().once(request, effect, outcome)


@pytest.fixture
def app_config(app_config):
    return dict(app_config, RPC_CLIENT=KeyRecordingRpc(), REQUEST_LOG=KeyRecordingLog())


def _writes(app):
    return sorted(
        (path, method, view)
        for (path, method), view in flask_operations(app).items()
        if method in WRITE_METHODS and path.startswith("/api/") and (method, path) not in NOT_WRITES
    )


def _caller(view):
    """A demo user the operation's roles admit (anyone when it names none)."""
    required = set(getattr(view, "required_roles", None) or ())
    return next(u[0] for u in DEMO_USERS if not required or required & set(u[2]))


def _request(spec, path, method):
    """The operation's example request: its JSON body, an upload, or a statement."""
    content = spec["paths"][path][method].get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        return {
            "data": {
                "applicant_kind": "person",
                "applicant_id": "11010519491231002X",
                "file": (io.BytesIO(b"%PDF-1.4 wiring"), "form.pdf"),
            }
        }
    if "text/csv" in content:
        return {"data": "bank_txn_id,amount_fen\n", "content_type": "text/csv", "query_string": {"day": "2026-11-26"}}
    return {"json": content.get("application/json", {}).get("example", {})}


def test_every_write_endpoint_hands_its_idempotency_key_to_the_rule(app, client, bearer):
    spec, rpc, own_log = app.extensions["openapi"], app.extensions["rpc"], app.extensions["requests"]
    forgotten = []
    for path, method, view in _writes(app):
        rpc.keys.clear()
        own_log.keys.clear()
        answer = client.open(
            _concrete(path),
            method=method.upper(),
            headers={**bearer(_caller(view)), "Idempotency-Key": KEY},
            **_request(spec, path, method),
        )
        scoped = [k for k in rpc.keys + own_log.keys if k and k.endswith(f":{KEY}")]
        if not scoped:
            forgotten.append(f"{method} {path}: {answer.status_code} {answer.get_json()}")

    assert forgotten == []
    assert len(_writes(app)) > 30  # the walk found the app's write endpoints
