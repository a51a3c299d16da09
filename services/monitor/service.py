"""The monitor service: electronic supervision (电子监察): time limits, warnings, accountability.

Its capabilities land with its own issue; today it joins the platform, answers
`ping` and serves its metrics.
"""
from services.common import platform_service


class MonitorService(platform_service.PlatformService):
    name = "monitor"
