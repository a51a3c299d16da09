"""Function-level authorization (OWASP API5): every operation of the OpenAPI document ×
every demo user. A user without one of the operation's roles gets 403 before any service
is asked; a user with one (or any user where no role is required) is let through to the
service. The object-level half (own/other department, query codes) runs on the real
platform in ``tests/e2e/test_security_object_authorization.py``."""

import re

import pytest

from gateway.auth import DEMO_USERS
from gateway.rpc import RemoteError
from tests.unit.gateway.test_openapi import flask_operations

# One valid value per path parameter, so that the request reaches the role check.
PATH_VALUES = {
    "case_no": "20261126000001",
    "task_id": "0f0e0d0c-0b0a-4909-8807-060504030201",
    "key": "immediate_item",
    "version": "1",
    "complaint_no": "T202611260001",
    "window_id": "1",
    "ticket_id": "20261126-A001",
    "refund_no": "TF20261126000001",
    "bank_txn_id": "txn-1",
    "report_id": "a" * 64,
    "item_code": "MR-001",
    "filename": "missing.css",
    "name": "init.js",
    "key_id": "0123456789abcdef",
    "document_id": "a1b2c3",
    "username": "wang.fang",
    "run_id": "T-0123456789ab",
    "element_id": "Event_timer",
}


def _concrete(path):
    def value(match):
        name = match.group(1)
        if name == "code":
            return "A" if "/categories/" in path else "ABCDEFGH"
        return PATH_VALUES[name]

    return re.sub(r"{([^}]+)}", value, path)


class NotFoundEverywhere:
    """A service layer that knows nothing: every call is a remote NotFound."""

    def __init__(self):
        self.calls = []

    def call(self, service, method, *args, timeout=None, **kwargs):
        self.calls.append((service, method))
        raise RemoteError(service, {"exc_type": "NotFound", "exc_args": ["nothing here", []], "value": "nothing"})


@pytest.fixture
def app_config(app_config):
    return dict(app_config, RPC_CLIENT=NotFoundEverywhere())


@pytest.mark.parametrize("username,roles", [(u[0], u[2]) for u in DEMO_USERS])
def test_every_operation_answers_every_role_as_its_required_roles_say(app, client, bearer, username, roles):
    headers = bearer(username)
    rpc = app.extensions["rpc"]
    wrong = []
    for (path, method), view in flask_operations(app).items():
        if path == "/api/v1/queue/board/stream":
            continue  # a stream that stays open; it needs no role
        required = getattr(view, "required_roles", None)
        rpc.calls.clear()
        answer = client.open(_concrete(path), method=method.upper(), headers=headers, json={})
        if required and not set(required) & set(roles):
            if answer.status_code != 403 or rpc.calls:
                wrong.append(f"{method} {path}: {answer.status_code}, asked {rpc.calls}, expected 403 and no call")
        elif answer.status_code in (401, 403):
            wrong.append(f"{method} {path}: {answer.status_code} for a permitted caller")

    assert wrong == []


# Object-level authorization: every operation is in exactly one of these classes, so a new
# endpoint fails here until someone decided how its objects are protected.
OBJECT_PROBED = {  # own/other department and right/wrong code: tests/e2e/test_security_object_authorization.py
    ("/api/v1/cases", "get"),
    ("/api/v1/cases/{case_no}", "get"),
    ("/api/v1/cases/{case_no}/process", "get"),
    ("/api/v1/cases/{case_no}/payment", "get"),
    ("/api/v1/supervision/cases/{case_no}", "get"),
    ("/api/v1/supervision/cases/{case_no}/extensions", "post"),
    ("/api/v1/supervision/cases/{case_no}/suspension", "post"),
    ("/api/v1/supervision/cases/{case_no}/resumption", "post"),
    ("/api/v1/tasks", "get"),
    ("/api/v1/tasks/{task_id}", "get"),
    ("/api/v1/tasks/{task_id}/complete", "post"),
    ("/api/v1/complaints", "get"),
    ("/api/v1/evaluations/rectifications", "get"),
    ("/api/v1/evaluations/{case_no}/rectification", "post"),
    ("/api/v1/supervision/warnings", "get"),
    ("/api/v1/supervision/accountability", "get"),
    ("/api/v1/stats", "get"),
    ("/api/v1/payments/stats", "get"),
    ("/api/v1/public/cases/{case_no}", "get"),
    ("/api/v1/public/cases/{case_no}/supplements", "post"),
    ("/api/v1/evaluations", "post"),
    ("/api/v1/public/complaints/{complaint_no}", "get"),
    ("/api/v1/queue/tickets/{ticket_id}", "get"),
    ("/api/v1/cases/{case_no}/messages/{name}", "post"),
    # own/other department: tests/integration/intake/test_case_lifecycle.py (staff download)
    ("/api/v1/materials/{document_id}/content", "get"),
}
CALLERS_OWN = {  # the caller creates or names only what it brings (ownership checked by the service)
    ("/api/v1/auth/token", "post"),
    ("/api/v1/cases", "post"),
    ("/api/v1/materials", "post"),
    ("/api/v1/complaints", "post"),
    ("/api/v1/queue/tickets", "post"),
    ("/api/v1/queue/appointments", "post"),
    ("/api/v1/queue/appointments/{code}/cancel", "post"),
}
PUBLIC_DATA = {  # published to everyone: the catalog, the hall's board, operations, pages
    ("/api/v1/items", "get"),
    ("/api/v1/items/{item_code}", "get"),
    ("/api/v1/departments", "get"),
    ("/api/v1/queue/setup", "get"),
    ("/api/v1/queue/board", "get"),
    ("/api/v1/queue/board/stream", "get"),
    ("/api/v1/queue/appointments/slots", "get"),
    ("/healthz", "get"),
    ("/readyz", "get"),
    ("/metrics", "get"),
    ("/openapi.json", "get"),
    ("/docs", "get"),
    ("/docs/assets/{name}", "get"),
}


def _web_page(path):
    return not path.startswith("/api/") and path not in {p for p, _ in PUBLIC_DATA}


def test_every_operation_is_classified_for_object_level_authorization(app):
    operations = flask_operations(app)
    hall_wide_only = {
        op
        for op, view in operations.items()
        if getattr(view, "required_roles", ())
        and all(
            department in ("hall", "supervision")
            for _, _, roles, department in DEMO_USERS
            if set(roles) & set(view.required_roles)
        )
    }  # only hall-wide staff may call it: no department to cross
    classified = OBJECT_PROBED | CALLERS_OWN | PUBLIC_DATA | hall_wide_only

    unclassified = {op for op in operations if op not in classified and not _web_page(op[0])}

    assert unclassified == set()
    assert not (OBJECT_PROBED | CALLERS_OWN | PUBLIC_DATA) - set(operations)
