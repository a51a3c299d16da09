"""``make up``: run the whole platform in the foreground on the embedded default.

Data lives in ``.run/`` and is kept between runs. A lock file keeps a second ``make up``
from starting on the same data. A process that exits is started again (``stack.supervisor``);
only Ctrl-C or SIGTERM stops every process started here. A port that another program holds
is one line on stderr and exit code 1, before anything starts.

Every port listens on this machine only (``LISTEN_HOST``, default 127.0.0.1: the broker with
its Erlang ports, the store, the metrics of the services and of the supervisor); the gateway
on ``GATEWAY_HOST`` (default 127.0.0.1).
"""

import fcntl
import os
import signal
import sys
import time
from pathlib import Path

from gateway.auth import DEMO_USERS

from .platform import REPO_ROOT, SERVICES, Platform
from .ports import LOOPBACK, refuse_taken
from .supervisor import Supervisor

SUPERVISION_INTERVAL_SECONDS = 0.5


def _port(name, default):
    value = os.environ.get(name, str(default))
    if not value.isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"{name} must be a TCP port number, not {value!r}")
    return int(value)


def _stop_on_signal(signum, frame):
    raise KeyboardInterrupt


def main():
    run_dir = Path(os.environ.get("RUN_DIR", REPO_ROOT / ".run"))
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = open(run_dir / "platform.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(
            f"the platform is already running on {run_dir} (make up holds {run_dir / 'platform.lock'}); "
            "stop it first, or set RUN_DIR to run a second copy on other data"
        )
    lock.write(str(os.getpid()))
    lock.flush()

    metrics_base = _port("METRICS_PORT_BASE", 9101)
    platform = Platform(
        run_dir,
        gateway_port=_port("GATEWAY_PORT", 8080),
        gateway_host=os.environ.get("GATEWAY_HOST", LOOPBACK),
        host=os.environ.get("LISTEN_HOST", LOOPBACK),
        broker_port=_port("RABBITMQ_PORT", 5672),
        broker_dist_port=_port("RABBITMQ_DIST_PORT", 25672),
        broker_epmd_port=_port("RABBITMQ_EPMD_PORT", 24369),
        store_port=_port("STORE_PORT", 27017),
        metrics_ports={name: metrics_base + i for i, name in enumerate(SERVICES)},
        env={"APP_ENV": "demo"},
    )
    supervisor_port = metrics_base + len(SERVICES)
    supervisor = Supervisor(platform, say=lambda line: print(line, flush=True))
    signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        refuse_taken({"METRICS_PORT_BASE (metrics of make up's supervisor)": supervisor_port})
        print("starting RabbitMQ, the document store, the five services and the gateway…", flush=True)
        platform.start()
        supervisor.serve_metrics(supervisor_port, platform.host)
        print(
            f"""
The service hall is running (data in {run_dir}, logs in {platform.log_dir}).
  applicants    {platform.gateway_url}/            (catalog, case lookup, appointments)
  display board {platform.gateway_url}/board
  staff         {platform.gateway_url}/work  ·  /supervision  ·  /designer  ·  /catalog
  API           {platform.gateway_url}/docs        (OpenAPI: /openapi.json)
  readiness     {platform.gateway_url}/readyz
  metrics       {platform.gateway_url}/metrics and, per service, """
            + ", ".join(f"{name} :{port}" for name, port in platform.metrics_ports.items())
            + f"""
                restarts of crashed processes: http://127.0.0.1:{supervisor_port}/metrics
  RabbitMQ      {platform.broker.amqp_uri}
  store         {platform.store.mongo_uri}
Demo users: """
            + ", ".join(name for name, *_ in DEMO_USERS)
            + """
            password: $DEMO_PASSWORD (default "demo")
Press Ctrl-C to stop.""",
            flush=True,
        )
        while True:
            supervisor.check()
            time.sleep(SUPERVISION_INTERVAL_SECONDS)
    except RuntimeError as exc:  # a port taken, a part that did not start: said in one line
        print(f"make up: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        platform.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
