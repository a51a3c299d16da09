"""Every HTTP error is ``application/problem+json`` (RFC 9457): one exception type for
the gateway's own refusals, and one table mapping remote error codes to HTTP status."""

import logging

from flask import g, jsonify
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import HTTPException

from gateway.rpc import RemoteError, ServiceUnavailable
from services.common.errors import HallError

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://hall.example/problems/"

# Remote error code (the service's exception class name) -> (HTTP status, title).
REMOTE_ERRORS = {
    "InvalidInput": (422, "Invalid input"),
    "NotFound": (404, "Not found"),
    "Conflict": (409, "Conflict"),
    "RequestInProgress": (409, "Request in progress"),
    "Forbidden": (403, "Forbidden"),
}


# A service's own store was out of reach (pymongo's ConnectionFailure and its subclasses:
# a restart, a primary election): over in seconds, so 503 with Retry-After.
def _class_names(cls):
    return {cls.__name__}.union(*(_class_names(sub) for sub in cls.__subclasses__()))


REMOTE_STORE_FAILURES = _class_names(ConnectionFailure)


class Problem(Exception):
    def __init__(self, status, title, detail, errors=None, headers=None):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors or []
        self.headers = headers or {}


def problem_body(status, title, detail, errors=None):
    body = {"type": PROBLEM_BASE + title.lower().replace(" ", "-"), "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def problem_response(status, title, detail, errors=None, headers=None):
    body = problem_body(status, title, detail, errors)
    request_id = getattr(g, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers.update(headers or {})
    return response


def _problem(exc):
    return problem_response(exc.status, exc.title, exc.detail, exc.errors, exc.headers)


def _remote(exc):
    if exc.exc_type in REMOTE_STORE_FAILURES:
        log.warning(
            "the %s service cannot reach its store (request %s): %s", exc.service, getattr(g, "request_id", "-"), exc
        )
        return _service_unavailable(f"the {exc.service} service cannot reach its store; try again shortly")
    status, title = REMOTE_ERRORS.get(exc.exc_type, (None, None))
    if status is None:
        log.error("unexpected remote error from %s (request %s): %s", exc.service, getattr(g, "request_id", "-"), exc)
        return problem_response(502, "Bad gateway", f"the {exc.service} service failed to answer this request")
    retry_after = exc.exc_args[2] if len(exc.exc_args) > 2 and isinstance(exc.exc_args[2], int) else None
    return problem_response(
        status, title, exc.detail, exc.errors, headers={"Retry-After": str(retry_after)} if retry_after else None
    )


def _own_log(exc):
    """A refusal of the gateway's own request log (``gateway.idempotency.once``), answered as a
    service's is."""
    status, title = REMOTE_ERRORS[type(exc).__name__]
    retry_after = getattr(exc, "retry_after", None)
    return problem_response(
        status, title, exc.detail, exc.errors, headers={"Retry-After": str(retry_after)} if retry_after else None
    )


def _service_unavailable(detail):
    """503: a part the gateway needs is out of reach for a moment (a restart, an election)."""
    return problem_response(503, "Service unavailable", detail, headers={"Retry-After": "5"})


def _unavailable(exc):
    """A service out of reach, or silent until the call's timeout (``RpcTimeout``). A call
    already sent (``in_flight``) may still be carried out, often after the timeout (a request
    in flight when its service was killed is done by the restarted instance): the caller
    repeats it with the same Idempotency-Key and gets the first answer, never a second effect."""
    if exc.in_flight:
        return _service_unavailable(
            f"{exc}; the request may still be carried out: send it again after "
            "Retry-After with the same Idempotency-Key to get its answer"
        )
    return _service_unavailable(str(exc))


def _store_unavailable(exc):
    """The gateway's own database (API keys, staff accounts) is out of reach: a primary
    election or a restart, over in seconds."""
    log.warning("the gateway's store is unreachable (request %s): %s", getattr(g, "request_id", "-"), exc)
    return _service_unavailable("the gateway's store (API keys, staff accounts) cannot be reached; try again shortly")


def _http(exc):
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return problem_response(exc.code, exc.name, exc.description or exc.name, headers=headers)


def _unexpected(exc):
    log.exception("unhandled error (request %s)", getattr(g, "request_id", "-"))
    return problem_response(500, "Internal server error", "the gateway failed; the error was logged")


ERROR_HANDLERS = {
    Problem: _problem,
    RemoteError: _remote,
    HallError: _own_log,
    ServiceUnavailable: _unavailable,
    ConnectionFailure: _store_unavailable,
    HTTPException: _http,
    Exception: _unexpected,
}


def register_error_handlers(app):
    for exc_class, handler in ERROR_HANDLERS.items():
        app.register_error_handler(exc_class, handler)
