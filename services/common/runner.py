"""Run one service module with the platform's configuration:

    python -m services.common.runner services.intake.service

This is ``nameko run`` (same runner, same signal handling) fed by the one config loader,
``services.common.config``, instead of a YAML file that would repeat its defaults.
"""

import warnings

# eventlet announces its own deprecation on import; that one warning is known and noise.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402 -- before anything opens a socket

import sys  # noqa: E402

from nameko.cli.run import import_service, run  # noqa: E402

from services.common import json_logs  # noqa: E402
from services.common.broker_link import reconnect_promptly  # noqa: E402
from services.common.collector import freeze_start_up_objects  # noqa: E402
from services.common.config import load_settings  # noqa: E402
from services.common.tracing import current_request_id  # noqa: E402


def main(argv):
    if len(argv) != 1:
        sys.exit("usage: python -m services.common.runner services.<name>.service")
    json_logs.configure(current_request_id, service=argv[0].split(".")[-2])
    reconnect_promptly()
    services = import_service(argv[0])
    freeze_start_up_objects()
    run(services, load_settings())


if __name__ == "__main__":
    main(sys.argv[1:])
