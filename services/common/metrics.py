"""Prometheus metrics for services: RED metrics per entrypoint, and the HTTP server that
exposes them on ``METRICS_HOST``:``METRICS_PORT`` (port 0 = not served, as in tests that run
many services in one process)."""

import time

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Histogram, start_http_server

ENTRYPOINT_CALLS = Counter(
    "hall_entrypoint_calls_total",
    "Entrypoint calls (RPC methods and event handlers) by outcome.",
    ["service", "method", "outcome"],
)
ENTRYPOINT_DURATION = Histogram(
    "hall_entrypoint_duration_seconds",
    "Time spent in an entrypoint.",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_served_ports = set()


def serve_metrics(port, host):
    """Start the metrics HTTP server once per process and port."""
    if port and port not in _served_ports:
        start_http_server(port, addr=host)
        _served_ports.add(port)


class EntrypointMetrics(DependencyProvider):
    """Counts and times every worker of the service; serves /metrics on METRICS_PORT."""

    def setup(self):
        self.started = {}
        config = self.container.config
        serve_metrics(config.get("METRICS_PORT", 0), config.get("METRICS_HOST", "127.0.0.1"))

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(worker_ctx, None)
        service, method = self.container.service_name, worker_ctx.entrypoint.method_name
        if exc_info is None:
            outcome = "ok"
        elif worker_ctx.entrypoint.expected_exceptions and isinstance(
            exc_info[1], worker_ctx.entrypoint.expected_exceptions
        ):
            outcome = "rejected"
        else:
            outcome = "error"
        ENTRYPOINT_CALLS.labels(service, method, outcome).inc()
        if started is not None:
            ENTRYPOINT_DURATION.labels(service, method).observe(time.perf_counter() - started)

    def get_dependency(self, worker_ctx):
        return None
