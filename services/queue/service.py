"""The queue service: queue-number calling (排队叫号) and online appointments.

Its capabilities land with its own issue; today it joins the platform, answers
`ping` and serves its metrics.
"""
from services.common import platform_service


class QueueService(platform_service.PlatformService):
    name = "queue"
