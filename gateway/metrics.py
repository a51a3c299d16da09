"""RED metrics of the gateway's HTTP endpoints, labelled by route (not by raw path, so
that case numbers do not explode the label set), and the request id (``X-Request-ID`` or
generated) that the problems, the JSON log lines and the RPC calls carry."""

import logging
import time
import uuid

from flask import g, has_request_context, request
from prometheus_client import Counter, Histogram

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "hall_http_requests_total", "HTTP requests answered by the gateway.", ["method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "hall_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "route"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _start():
    g.started = time.perf_counter()
    g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex


def current_request_id():
    """The request id of the request being answered, or None (for the JSON log lines)."""
    return g.get("request_id") if has_request_context() else None


def request_context():
    """Context data for the RPC calls made while answering a request (``gateway.rpc``)."""
    return {"request_id": current_request_id()}


def _finish(response):
    route = request.url_rule.rule if request.url_rule else "unmatched"
    HTTP_REQUESTS.labels(request.method, route, response.status_code).inc()
    HTTP_DURATION.labels(request.method, route).observe(time.perf_counter() - g.get("started", time.perf_counter()))
    response.headers["X-Request-Id"] = g.get("request_id", "")
    caller = g.get("caller")
    if caller and caller["username"].startswith("api-key:"):  # department systems are attributed in the log
        log.info(
            "%s %s %s by %s of department %s (request %s)",
            request.method,
            route,
            response.status_code,
            caller["username"],
            caller["department"],
            g.get("request_id", "-"),
        )
    return response


def instrument(app):
    app.before_request(_start)
    app.after_request(_finish)
