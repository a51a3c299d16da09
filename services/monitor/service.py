"""The monitor service: electronic supervision (电子监察): time limits, warnings, accountability.

Its capabilities land with its own issue; today it joins the platform, answers
`ping` and serves its metrics.
"""
from services.common.entrypoints import rpc
from services.common.metrics import EntrypointMetrics


class MonitorService:
    name = "monitor"

    metrics = EntrypointMetrics()

    @rpc
    def ping(self):
        return "pong"
