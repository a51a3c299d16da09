"""``make up``: run the whole platform in the foreground on the embedded default.

Data lives in ``.run/`` and is kept between runs. A lock file keeps a second ``make up``
from starting on the same data. Ctrl-C or SIGTERM stops every process started here.
"""
import fcntl
import os
import signal
import sys
import time
from pathlib import Path

from gateway.auth import DEMO_USERS

from .platform import REPO_ROOT, SERVICES, Platform


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
        sys.exit(f"the platform is already running on {run_dir} (make up holds {run_dir / 'platform.lock'}); "
                 "stop it first, or set RUN_DIR to run a second copy on other data")
    lock.write(str(os.getpid()))
    lock.flush()

    metrics_base = _port("METRICS_PORT_BASE", 9101)
    platform = Platform(
        run_dir,
        gateway_port=_port("GATEWAY_PORT", 8080),
        gateway_host=os.environ.get("GATEWAY_HOST", "127.0.0.1"),
        broker_port=_port("RABBITMQ_PORT", 5672),
        broker_dist_port=_port("RABBITMQ_DIST_PORT", 25672),
        store_port=_port("STORE_PORT", 27017),
        metrics_ports={name: metrics_base + i for i, name in enumerate(SERVICES)},
        env={"APP_ENV": "demo"},
    )
    signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        print("starting RabbitMQ, the document store, the five services and the gateway…", flush=True)
        platform.start()
        print(f"""
The service hall is running (data in {run_dir}, logs in {platform.log_dir}).
  applicants    {platform.gateway_url}/            (catalog, case lookup, appointments)
  display board {platform.gateway_url}/board
  staff         {platform.gateway_url}/work  ·  /supervision  ·  /designer
  API           {platform.gateway_url}/docs        (OpenAPI: /openapi.json)
  readiness     {platform.gateway_url}/readyz
  metrics       {platform.gateway_url}/metrics and, per service, """
              + ", ".join(f"{name} :{port}" for name, port in platform.metrics_ports.items()) + f"""
  RabbitMQ      {platform.broker.amqp_uri}
  store         {platform.store.mongo_uri}
Demo users: """ + ", ".join(name for name, *_ in DEMO_USERS) + """
            password: $DEMO_PASSWORD (default "demo")
Press Ctrl-C to stop.""", flush=True)
        while True:
            dead = platform.dead_processes()
            if dead:
                print(f"stopping: a process exited: {dead}; see {platform.log_dir}", file=sys.stderr)
                return 1
            time.sleep(1)
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
