"""What every service of the platform has: RED metrics on its entrypoints and ``ping``
(the gateway's /readyz asks every service). Service modules subclass it through the
module (``platform_service.PlatformService``), not by importing the class by name:
``nameko run`` would take a base class imported into a service module for a service."""
from services.common.entrypoints import rpc
from services.common.metrics import EntrypointMetrics


class PlatformService:
    metrics = EntrypointMetrics()

    @rpc
    def ping(self):
        return "pong"
