"""The queue service: queue-number calling (排队叫号) and online appointments.

Its capabilities land with its own issue; today it joins the platform, answers
`ping` and serves its metrics.
"""
from services.common.entrypoints import rpc
from services.common.metrics import EntrypointMetrics


class QueueService:
    name = "queue"

    metrics = EntrypointMetrics()

    @rpc
    def ping(self):
        return "pong"
