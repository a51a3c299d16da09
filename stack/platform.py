"""The whole platform as processes on this machine: broker, store, five services, gateway.

``Platform(run_dir, ...)`` is used by ``python -m stack`` (``make up``) with data kept in
``.run/``, and by the end-to-end tests with throw-away data on free ports. Every process
listens on ``host`` (loopback by default; the gateway on ``gateway_host``), and ``start()``
refuses a port another program holds before it starts anything. ``exited()`` and
``restart(name)`` are what the supervisor of ``make up`` (``stack.supervisor``) keeps the
processes running with.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from services.common import SERVICES

from .broker import RabbitNode
from .ports import LOOPBACK, free_port, refuse_taken, wait_for_port
from .store import DocumentStore

REPO_ROOT = Path(__file__).resolve().parent.parent


class Platform:
    def __init__(
        self,
        run_dir,
        *,
        host=LOOPBACK,
        gateway_port=None,
        gateway_host=LOOPBACK,
        broker_port=None,
        broker_dist_port=None,
        broker_epmd_port=None,
        store_port=None,
        metrics_ports=None,
        env=None,
        broker=None,
    ):
        self.run_dir = Path(run_dir).resolve()
        self.log_dir = self.run_dir / "logs"
        self.host = host
        # ``broker``: another broker with the same start/stop/amqp_uri/ports (a cluster's nodes)
        self.broker = broker or RabbitNode(
            self.run_dir / "rabbitmq",
            port=broker_port,
            dist_port=broker_dist_port,
            epmd_port=broker_epmd_port,
            host=host,
        )
        self.store = DocumentStore(self.run_dir / "store", port=store_port, host=host)
        self.gateway_host = gateway_host
        self.gateway_port = gateway_port or free_port()
        self.metrics_ports = metrics_ports or {name: free_port() for name in SERVICES}
        self.extra_env = env or {}
        self.processes = {}

    @property
    def gateway_url(self):
        return f"http://127.0.0.1:{self.gateway_port}"

    def ports(self):
        """Every port the platform listens on, by the setting of ``make up`` that chooses it."""
        return {
            "GATEWAY_PORT": self.gateway_port,
            **self.broker.ports,
            **self.store.ports,
            **{f"METRICS_PORT_BASE (metrics of {name})": port for name, port in self.metrics_ports.items()},
        }

    def environment(self):
        """What every platform process is told (read by ``services.common.config``)."""
        env = dict(os.environ)
        env.update(
            AMQP_URI=self.broker.amqp_uri,
            MONGO_URI=self.store.mongo_uri,
            GATEWAY_PORT=str(self.gateway_port),
            METRICS_HOST=self.host,
            BPMN_DIR=str(REPO_ROOT / "bpmn"),
            CATALOG_DIR=str(REPO_ROOT / "catalog"),
        )
        env.update(self.extra_env)
        env["PYTHONPATH"] = str(REPO_ROOT)
        return env

    def _spawn(self, name, argv, extra_env=None):
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = self.environment()
        env.update(extra_env or {})
        with open(self.log_dir / f"{name}.log", "ab") as log:
            self.processes[name] = subprocess.Popen(
                argv,
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def start_infrastructure(self):
        self.broker.start()
        self.store.start()

    def start_service(self, name):
        self._spawn(
            name,
            [sys.executable, "-m", "services.common.runner", f"services.{name}.service"],
            {"METRICS_PORT": str(self.metrics_ports[name])},
        )

    def start_gateway(self):
        self._spawn(
            "gateway",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:gateway.gunicorn_settings",
                "--bind",
                f"{self.gateway_host}:{self.gateway_port}",
                "--graceful-timeout",
                "10",
                "gateway:create_app()",
            ],
        )

    def start(self, timeout=90):
        """Start everything and wait until the gateway says every service is ready."""
        refuse_taken(self.ports())
        try:
            self.start_infrastructure()
            for name in SERVICES:
                self.start_service(name)
            self.start_gateway()
            wait_for_port(self.gateway_port, timeout, "the gateway", self.processes["gateway"])
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        detail = "no answer"
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with code {process.returncode}; see {self.log_dir / (name + '.log')}"
                    )
            try:
                with urllib.request.urlopen(self.gateway_url + "/readyz", timeout=5) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                detail = json.loads(exc.read() or b"{}").get("detail", str(exc))
            except OSError as exc:
                detail = str(exc)
            time.sleep(0.2)
        raise RuntimeError(f"the platform was not ready within {timeout} s: {detail}")

    def exited(self):
        """``{name: exit code}`` of the processes that are not running (``None``: never started
        or not started again). ``poll()`` reaps each one: no zombie is left behind."""
        parts = {"broker": self.broker.process, "store": self.store.process, **self.processes}
        return {
            name: None if process is None else process.returncode
            for name, process in parts.items()
            if process is None or process.poll() is not None
        }

    def restart(self, name):
        """Start ``name`` (broker, store, a service, gateway) again after it exited."""
        if name in ("broker", "store"):
            part = getattr(self, name)
            part.stop()  # reaps it (and, for the broker, ends a VM its script left behind)
            part.start()
        else:
            self._end_group_of(name)
            if name == "gateway":
                self.start_gateway()
            else:
                self.start_service(name)

    def _end_group_of(self, name):
        """What the exited process left running in its process group (each part is started
        in a session of its own): gunicorn's worker outlives a killed arbiter and keeps the
        gateway's port, so the new arbiter could not bind it."""
        process = self.processes.get(name)
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group_alive(process.pid):
            time.sleep(0.05)

    def stop_process(self, name, timeout=15):
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self):
        """Gateway first, then the services, then store and broker: nothing is left running."""
        for name in ["gateway", *reversed(SERVICES)]:
            self.stop_process(name)
        self.store.stop()
        self.broker.stop()


def _group_alive(group):
    """Whether a process of process group ``group`` still runs (a zombie does not: it holds
    no port, and whoever adopted it may be slow to reap it)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False
