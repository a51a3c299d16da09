"""The payment service: unified fee collection at the bank window (统一收费).

Its capabilities land with its own issue; today it joins the platform, answers
`ping` and serves its metrics.
"""
from services.common import platform_service


class PaymentService(platform_service.PlatformService):
    name = "payment"
