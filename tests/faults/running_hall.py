"""A running ``make up`` (``python -m stack``) on free ports with throw-away data, for the
fault suite and the soak: its output (read on a thread), its process tree, its readiness,
its supervisor's restart counts, and the memory of its processes; and where the processes of
this machine listen."""

import ipaddress
import os
import re
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pymongo
import requests

from gateway.api.health import PING_TIMEOUT, STORE_PING_TIMEOUT_MS
from gateway.rpc import RpcClient, RpcError
from stack.ports import free_port, free_port_range
from tests.waiting import eventually

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "approval", "queue", "payment", "monitor")
PROBE_SECONDS = 30  # how long one /readyz may take on a loaded machine (its own checks are bounded: 1 s, 2 s)
START_SECONDS = 120
# Which process of the tree is which part (a marker in its command line).
MARKERS = {
    **{name: f"services.{name}.service" for name in SERVICES},
    "gateway": "gunicorn",
    "broker": "beam.smp",
    "store": "stack.nx_server",
}


def parent_of(pid):
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def exited(pid):
    """The process has ended (a zombie or gone): the kernel has closed its sockets."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def rss_kib(pid):
    """The resident memory of a process, from /proc (VmRSS, KiB); None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) if found else None


class Hall:
    """``make up`` started with ``env`` added to its environment (e.g. the rate limit)."""

    def __init__(self, run_dir, env=None):
        self.env = dict(
            os.environ,
            RUN_DIR=str(run_dir),
            GATEWAY_PORT=str(free_port()),
            RABBITMQ_PORT=str(free_port()),
            RABBITMQ_DIST_PORT=str(free_port()),
            RABBITMQ_EPMD_PORT=str(free_port()),
            STORE_PORT=str(free_port()),
            METRICS_PORT_BASE=str(free_port_range(len(SERVICES) + 1)),
            **(env or {}),
        )
        self.url = f"http://127.0.0.1:{self.env['GATEWAY_PORT']}"
        self.store_uri = f"mongodb://127.0.0.1:{self.env['STORE_PORT']}/"
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.env['RABBITMQ_PORT']}/"
        self.supervisor_metrics = f"http://127.0.0.1:{int(self.env['METRICS_PORT_BASE']) + len(SERVICES)}/metrics"
        self.lines = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stack"],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_started(self):
        eventually(
            lambda: self.said("Press Ctrl-C to stop.") or self.process.poll() is not None,
            "make up to start",
            timeout=START_SECONDS,
        )
        assert self.process.poll() is None, "".join(self.lines)
        return self

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def said(self, text, after=0):
        return any(text in line for line in self.lines[after:])

    def descendants(self):
        """``{pid: command line}`` of every process under make up."""
        parents = {}
        for process in Path("/proc").glob("[0-9]*"):
            try:
                parents[int(process.name)] = parent_of(process.name)
            except (OSError, IndexError, ValueError):
                continue
        tree, grown = {self.process.pid}, True
        while grown:
            found = {pid for pid, parent in parents.items() if parent in tree} - tree
            tree |= found
            grown = bool(found)
        commands = {}
        for pid in tree - {self.process.pid}:
            try:
                commands[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
        return commands

    def pids_of(self, marker):
        return tuple(sorted(pid for pid, command in self.descendants().items() if marker in command))

    def pid_of(self, marker):
        (pid,) = self.pids_of(marker)
        return pid

    def main_pid(self, part):
        """The pid to kill to take ``part`` down: gunicorn's arbiter for the gateway."""
        if part == "gateway":
            (arbiter,) = [pid for pid in self.pids_of("gunicorn") if parent_of(pid) == self.process.pid]
            return arbiter
        return self.pid_of(MARKERS[part])

    def readiness(self):
        """One probe of ``/readyz``: ``(status, detail)``; status None when the gateway does not answer."""
        try:
            answer = requests.get(f"{self.url}/readyz", timeout=PROBE_SECONDS)
        except requests.RequestException as exc:
            return None, repr(exc)
        return answer.status_code, answer.json().get("detail", "")

    def ready(self):
        return self.readiness()[0]

    def dependencies_answer(self):
        """What ``/readyz`` checks, checked from here with the same limits: the store answers a
        ping, and every service an RPC ping (which needs the broker and the service's link to it)."""
        with pymongo.MongoClient(self.store_uri, serverSelectionTimeoutMS=STORE_PING_TIMEOUT_MS) as store:
            try:
                store.admin.command("ping")
            except pymongo.errors.PyMongoError:
                return False
        client = RpcClient(self.amqp_uri)
        try:
            return all(client.call(service, "ping", timeout=PING_TIMEOUT) == "pong" for service in SERVICES)
        except RpcError:
            return False
        finally:
            client.close()

    @contextmanager
    def held(self):
        """make up stopped (SIGSTOP) meanwhile: its supervisor notices and restarts nothing."""
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.process.pid, signal.SIGCONT)

    def restarts(self, process):
        text = requests.get(self.supervisor_metrics, timeout=5).text
        found = re.search(rf'^hall_stack_restarts_total{{process="{process}"}} (\S+)$', text, re.M)
        return float(found.group(1)) if found else 0.0

    def platform_pids(self):
        """The services' pids, and the gateway's (gunicorn's arbiter and its worker)."""
        return {name: self.pids_of(f"services.{name}.service") for name in SERVICES} | {
            "gateway": self.pids_of("gunicorn")
        }

    def memory(self):
        """``{part: resident KiB}`` of every part (the gateway's arbiter and worker together)."""
        found = {}
        for pid, command in self.descendants().items():
            part = next((name for name, marker in MARKERS.items() if marker in command), None)
            size = rss_kib(pid) if part else None
            if size is not None:
                found[part] = found.get(part, 0) + size
        return found


def listening_sockets():
    """``{socket inode: (address, port)}`` of every listening TCP socket on this machine."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A":  # LISTEN
                address, port = local.split(":")
                found[inode] = (decode_address(address), int(port, 16))
    return found


def decode_address(hex_address):
    """/proc/net/tcp writes addresses as 32-bit words in the host's (little-endian) order."""
    raw = b"".join(bytes.fromhex(hex_address[i : i + 8])[::-1] for i in range(0, len(hex_address), 8))
    address = ipaddress.ip_address(raw)
    return str(getattr(address, "ipv4_mapped", None) or address)


def socket_inodes(pid):
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes
