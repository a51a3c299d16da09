"""A private RabbitMQ node run from Debian's `rabbitmq-server` package.

The `/usr/sbin/rabbitmq-server` wrapper switches to the `rabbitmq` user and fails on
root-owned directories, so the node is started from `/usr/lib/rabbitmq/bin` with every
path (cookie, mnesia, logs, plugins) inside the node's own directory.

Every port of the node listens on ``host`` (loopback by default): AMQP, the Erlang
distribution port (``-kernel inet_dist_use_interface``, also for the short-lived node of
``rabbitmqctl``) and the node's own epmd (the Erlang port mapper, which the VM starts with
the ``ERL_EPMD_PORT`` and ``ERL_EPMD_ADDRESS`` of its environment). The epmd is the node's
own, on its own port, because a shared one on 4369 may have been started by another Erlang
program listening on every interface; it is stopped with the node. An epmd already on that
port (left by a ``make up`` that was killed) is used again rather than refused.

On 127.0.0.1 the node is ``<name>-<port>@localhost`` (a short name). On another address it is
named by that address (a long name, ``@127.0.0.3``), because its peers and ``rabbitmqctl``
look for its epmd and its distribution port at the host its name gives: nodes of a cluster on
distinct loopback addresses (``tests/faults/rabbit_cluster.py``) share one epmd, which listens
on all their addresses (``epmd_address``; epmd always adds 127.0.0.1, where the VM registers).
"""

import os
import signal
import subprocess
import time
from pathlib import Path

from .ports import LOOPBACK, free_port, reachable_at, refuse_taken, wait_for_port

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
EPMD = "epmd"


class RabbitNode:
    def __init__(
        self,
        base_dir,
        port=None,
        dist_port=None,
        epmd_port=None,
        name="hall",
        host=LOOPBACK,
        cookie=None,
        epmd_address=None,
    ):
        self.base_dir = Path(base_dir).resolve()
        self.cookie = cookie  # nodes of one cluster share it (stack.cluster); else the VM makes one
        self.port = port or free_port()
        self.dist_port = dist_port or free_port()
        self.epmd_port = epmd_port or free_port()
        self.host, self.epmd_address = host, epmd_address or host
        self.longname = reachable_at(host) != LOOPBACK
        self.nodename = f"{name}-{self.port}@{reachable_at(host) if self.longname else 'localhost'}"
        self.process = None
        self._epmd_started = False

    @property
    def amqp_uri(self):
        return f"amqp://guest:guest@{reachable_at(self.host)}:{self.port}/"

    @property
    def ports(self):
        """The ports the node must find free, by the setting of ``make up`` that chooses them."""
        return {"RABBITMQ_PORT": self.port, "RABBITMQ_DIST_PORT": self.dist_port}

    def _env(self):
        home = self.base_dir / "home"
        env = dict(os.environ)
        env.update(
            HOME=str(home),
            RABBITMQ_NODENAME=self.nodename,
            RABBITMQ_USE_LONGNAME=str(self.longname).lower(),
            RABBITMQ_NODE_IP_ADDRESS=self.host,
            ERL_EPMD_PORT=str(self.epmd_port),
            ERL_EPMD_ADDRESS=self.epmd_address,
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=self._dist_interface(),
            RABBITMQ_CTL_ERL_ARGS=self._dist_interface(),
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

    def _dist_interface(self):
        return f"-kernel inet_dist_use_interface {{{self.host.replace('.', ',')}}}"

    def _ctl(self, *args, timeout=60):
        return subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-n", self.nodename, *args],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, timeout=60):
        if not (RABBIT_BIN / "rabbitmq-server").exists():
            raise RuntimeError("rabbitmq-server is not installed: run `make install` (apt-get install rabbitmq-server)")
        self._kill_leftover()
        refuse_taken(self.ports)
        for sub in ("home", "mnesia", "log"):
            (self.base_dir / sub).mkdir(parents=True, exist_ok=True)
        (self.base_dir / "enabled_plugins").write_text("[].\n")
        (self.base_dir / "rabbitmq.conf").write_text("loopback_users = none\n")
        (self.base_dir / "advanced.config").write_text("[].\n")
        if self.cookie:
            cookie_file = self.base_dir / "home" / ".erlang.cookie"
            cookie_file.unlink(missing_ok=True)
            cookie_file.write_text(self.cookie)
            cookie_file.chmod(0o400)
        log = open(self.base_dir / "log" / "stdout.log", "ab")
        self._epmd_started = True  # by the VM, if none answers on epmd_port yet
        self.process = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")],
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        wait_for_port(self.port, timeout, "RabbitMQ", self.process, host=reachable_at(self.host))
        result = self._ctl("await_startup", timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"RabbitMQ did not start: {result.stderr.strip()}")
        return self

    def _kill_leftover(self):
        """A VM of this node that outlived its start script (the script was killed) holds the
        ports and the data: it is ended before a new one starts."""
        try:
            pid = int((self.base_dir / "rabbit.pid").read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if self.nodename.encode() in cmdline:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.1)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            try:
                self._ctl("stop", timeout=60)
                self.process.wait(timeout=30)
            except (subprocess.TimeoutExpired, OSError):
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._epmd_started:
            subprocess.run(
                [EPMD, "-port", str(self.epmd_port), "-kill"], env=self._env(), capture_output=True, timeout=10
            )
            self._epmd_started = False
