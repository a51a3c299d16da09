"""The whole platform as processes on this machine: broker, store, five services, gateway.

``Platform(run_dir, ...)`` is used by ``python -m stack`` (``make up``) with data kept in
``.run/``, and by the end-to-end tests with throw-away data on free ports.
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
from .ports import free_port, wait_for_port
from .store import DocumentStore

REPO_ROOT = Path(__file__).resolve().parent.parent


class Platform:
    def __init__(self, run_dir, *, gateway_port=None, gateway_host="127.0.0.1", broker_port=None,
                 broker_dist_port=None, store_port=None, metrics_ports=None, env=None):
        self.run_dir = Path(run_dir).resolve()
        self.log_dir = self.run_dir / "logs"
        self.broker = RabbitNode(self.run_dir / "rabbitmq", port=broker_port, dist_port=broker_dist_port)
        self.store = DocumentStore(self.run_dir / "store", port=store_port)
        self.gateway_host = gateway_host
        self.gateway_port = gateway_port or free_port()
        self.metrics_ports = metrics_ports or {name: free_port() for name in SERVICES}
        self.extra_env = env or {}
        self.processes = {}

    @property
    def gateway_url(self):
        return f"http://127.0.0.1:{self.gateway_port}"

    def environment(self):
        """What every platform process is told (read by ``services.common.config``)."""
        env = dict(os.environ)
        env.update(AMQP_URI=self.broker.amqp_uri, MONGO_URI=self.store.mongo_uri,
                   GATEWAY_PORT=str(self.gateway_port),
                   BPMN_DIR=str(REPO_ROOT / "bpmn"), CATALOG_DIR=str(REPO_ROOT / "catalog"))
        env.update(self.extra_env)
        env["PYTHONPATH"] = str(REPO_ROOT)
        return env

    def _spawn(self, name, argv, extra_env=None):
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = self.environment()
        env.update(extra_env or {})
        with open(self.log_dir / f"{name}.log", "ab") as log:
            self.processes[name] = subprocess.Popen(
                argv, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )

    def start_infrastructure(self):
        self.broker.start()
        self.store.start()

    def start_service(self, name):
        self._spawn(name, [sys.executable, "-m", "services.common.runner", f"services.{name}.service"],
                    {"METRICS_PORT": str(self.metrics_ports[name])})

    def start_gateway(self):
        self._spawn("gateway", [sys.executable, "-m", "gunicorn", "-c", "python:gateway.gunicorn_settings",
                                "--bind", f"{self.gateway_host}:{self.gateway_port}",
                                "--graceful-timeout", "10", "gateway:create_app()"])

    def start(self, timeout=90):
        """Start everything and wait until the gateway says every service is ready."""
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
                    raise RuntimeError(f"{name} exited with code {process.returncode}; "
                                       f"see {self.log_dir / (name + '.log')}")
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

    def dead_processes(self):
        return {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}

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
