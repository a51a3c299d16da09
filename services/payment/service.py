"""The payment service: unified fee collection at the bank window (统一收费).

Its capabilities land with its own issue; today it joins the platform, answers
`ping` and serves its metrics.
"""
from services.common.entrypoints import rpc
from services.common.metrics import EntrypointMetrics


class PaymentService:
    name = "payment"

    metrics = EntrypointMetrics()

    @rpc
    def ping(self):
        return "pong"
