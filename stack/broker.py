"""A private RabbitMQ node run from Debian's `rabbitmq-server` package.

The `/usr/sbin/rabbitmq-server` wrapper switches to the `rabbitmq` user and fails on
root-owned directories, so the node is started from `/usr/lib/rabbitmq/bin` with every
path (cookie, mnesia, logs, plugins) inside the node's own directory.
"""
import os
import subprocess
from pathlib import Path

from .ports import free_port, port_is_open, wait_for_port

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


class RabbitNode:
    def __init__(self, base_dir, port=None, dist_port=None, name="hall"):
        self.base_dir = Path(base_dir).resolve()
        self.port = port or free_port()
        self.dist_port = dist_port or free_port()
        self.nodename = f"{name}-{self.port}@localhost"
        self.process = None

    @property
    def amqp_uri(self):
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _env(self):
        home = self.base_dir / "home"
        env = dict(os.environ)
        env.update(
            HOME=str(home),
            RABBITMQ_NODENAME=self.nodename,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.base_dir / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.base_dir / "log"),
            RABBITMQ_PID_FILE=str(self.base_dir / "rabbit.pid"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base_dir / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(self.base_dir / "rabbitmq"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.base_dir / "advanced.config"),
        )
        return env

    def _ctl(self, *args, timeout=60):
        return subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-n", self.nodename, *args],
            env=self._env(), capture_output=True, text=True, timeout=timeout,
        )

    def start(self, timeout=60):
        if not (RABBIT_BIN / "rabbitmq-server").exists():
            raise RuntimeError("rabbitmq-server is not installed: run `make install` (apt-get install rabbitmq-server)")
        for port in (self.port, self.dist_port):
            if port_is_open(port):
                raise RuntimeError(f"port {port} is taken: choose other RABBITMQ ports")
        for sub in ("home", "mnesia", "log"):
            (self.base_dir / sub).mkdir(parents=True, exist_ok=True)
        (self.base_dir / "enabled_plugins").write_text("[].\n")
        (self.base_dir / "rabbitmq.conf").write_text("loopback_users = none\n")
        (self.base_dir / "advanced.config").write_text("[].\n")
        log = open(self.base_dir / "log" / "stdout.log", "ab")
        self.process = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")], env=self._env(),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        wait_for_port(self.port, timeout, "RabbitMQ", self.process)
        result = self._ctl("await_startup", timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"RabbitMQ did not start: {result.stderr.strip()}")
        return self

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                self._ctl("stop", timeout=60)
                self.process.wait(timeout=30)
            except (subprocess.TimeoutExpired, OSError):
                self.process.kill()
                self.process.wait()
        self.process = None
