"""The hall keeps working through crashes: one ``make up`` (python -m stack) on free ports,
and, in turn, a service, the gateway, the broker and the store killed with SIGKILL under it. Each is
started again by make up, the other processes live on (same pids) and the gateway serves
a new case afterwards. The readiness probe says 503 while the broker or the store is gone
and 200 once it is back, each within the 2 s the operations guide promises.

The tests of this module share the one running stack and run in the order written.
"""
import ipaddress
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from stack.ports import free_port, free_port_range
from tests.waiting import eventually

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "approval", "queue", "payment", "monitor")
APPLICANT = {"kind": "person", "name": "周八", "id_number": "11010519491231002X"}
APPLICATION = {"item_code": "MR-001", "applicant": APPLICANT, "materials": ["application_form", "id_card"]}
READINESS_SECONDS = 2  # docs/operations.md: /readyz follows the broker and the store within 2 s
START_SECONDS = 120
LOOPBACK_ADDRESSES = {"127.0.0.1", "::1"}


def parent_of(pid):
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


class Hall:
    """A running ``make up``: its output (read on a thread), its process tree, its ports."""

    def __init__(self, run_dir):
        self.env = dict(os.environ, RUN_DIR=str(run_dir), GATEWAY_PORT=str(free_port()),
                        RABBITMQ_PORT=str(free_port()), RABBITMQ_DIST_PORT=str(free_port()),
                        RABBITMQ_EPMD_PORT=str(free_port()), STORE_PORT=str(free_port()),
                        METRICS_PORT_BASE=str(free_port_range(len(SERVICES) + 1)))
        self.url = f"http://127.0.0.1:{self.env['GATEWAY_PORT']}"
        self.supervisor_metrics = f"http://127.0.0.1:{int(self.env['METRICS_PORT_BASE']) + len(SERVICES)}/metrics"
        self.lines = []
        self.process = subprocess.Popen([sys.executable, "-m", "stack"], cwd=REPO_ROOT, env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def said(self, text):
        return any(text in line for line in self.lines)

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

    def ready(self):
        try:
            return requests.get(f"{self.url}/readyz", timeout=READINESS_SECONDS).status_code
        except requests.RequestException:
            return None

    def restarts(self, process):
        text = requests.get(self.supervisor_metrics, timeout=5).text
        found = re.search(rf'^hall_stack_restarts_total{{process="{process}"}} (\S+)$', text, re.M)
        return float(found.group(1)) if found else 0.0

    def submit_case(self):
        answer = requests.post(f"{self.url}/api/v1/cases", json=APPLICATION, timeout=15)
        assert answer.status_code == 201, answer.text
        return answer.json()["case_no"]

    def platform_pids(self):
        """The services' pids, and the gateway's (gunicorn's arbiter and its worker)."""
        return {name: self.pids_of(f"services.{name}.service") for name in SERVICES} | {
            "gateway": self.pids_of("gunicorn")}


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    running = Hall(tmp_path_factory.mktemp("faults"))
    try:
        eventually(lambda: running.said("Press Ctrl-C to stop.") or running.process.poll() is not None,
                   "make up to start", timeout=START_SECONDS)
        assert running.process.poll() is None, "".join(running.lines)
        yield running
    finally:
        running.process.send_signal(signal.SIGTERM)
        try:
            running.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait()


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
    raw = b"".join(bytes.fromhex(hex_address[i:i + 8])[::-1] for i in range(0, len(hex_address), 8))
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
            inodes.add(target[len("socket:["):-1])
    return inodes


def test_every_port_of_the_running_hall_listens_on_loopback_only(hall):
    sockets = listening_sockets()
    pids = [hall.process.pid, *hall.descendants()]
    bound = {sockets[inode] for pid in pids for inode in socket_inodes(pid) if inode in sockets}
    epmd_port = int(hall.env["RABBITMQ_EPMD_PORT"])  # the node's epmd runs detached from make up
    bound |= {where for where in sockets.values() if where[1] == epmd_port}

    ports = {port for _, port in bound}
    expected = {int(hall.env[key]) for key in ("GATEWAY_PORT", "RABBITMQ_PORT", "RABBITMQ_DIST_PORT",
                                                "RABBITMQ_EPMD_PORT", "STORE_PORT")}
    expected |= {int(hall.env["METRICS_PORT_BASE"]) + i for i in range(len(SERVICES) + 1)}
    assert expected <= ports, sorted(expected - ports)
    assert {address for address, _ in bound} <= LOOPBACK_ADDRESSES, sorted(bound)


def test_a_killed_service_is_started_again_and_a_case_can_be_submitted(hall):
    before = hall.platform_pids()
    os.kill(hall.pid_of("services.approval.service"), signal.SIGKILL)

    eventually(lambda: hall.said("approval started again"), "make up to start approval again")
    eventually(lambda: hall.ready() == 200, "the hall to be ready again", timeout=START_SECONDS)
    assert hall.submit_case()
    after = hall.platform_pids()
    assert after["approval"] != before["approval"]
    assert {k: v for k, v in after.items() if k != "approval"} == {k: v for k, v in before.items() if k != "approval"}
    assert hall.restarts("approval") == 1
    assert hall.process.poll() is None


def test_a_killed_gateway_is_started_again(hall):
    (arbiter,) = [pid for pid in hall.pids_of("gunicorn") if parent_of(pid) == hall.process.pid]
    os.kill(arbiter, signal.SIGKILL)

    eventually(lambda: hall.said("gateway started again"), "make up to start the gateway again")
    eventually(lambda: hall.ready() == 200, "the gateway to answer again", timeout=START_SECONDS)
    assert arbiter not in hall.pids_of("gunicorn")
    assert hall.restarts("gateway") == 1


class Busy(threading.Thread):
    """Keeps calls in flight in every service (readiness pings them all) while the broker
    dies: replies are being sent when it goes."""

    def __init__(self, hall):
        super().__init__(daemon=True)
        self.hall, self.stop = hall, threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.hall.ready()


def test_the_services_ride_through_a_broker_restart(hall):
    before = hall.platform_pids()
    busy = Busy(hall)
    busy.start()
    try:
        os.kill(hall.pid_of("beam.smp"), signal.SIGKILL)
    finally:
        busy.stop.set()

    eventually(lambda: hall.ready() == 503, "/readyz to say 503", timeout=READINESS_SECONDS)
    during = requests.post(f"{hall.url}/api/v1/cases", json=APPLICATION, timeout=15)
    assert during.status_code == 503, during.text
    assert during.headers["Retry-After"] and during.headers["Content-Type"] == "application/problem+json"
    eventually(lambda: hall.said("broker started again"), "make up to start the broker again", timeout=START_SECONDS)
    eventually(lambda: hall.ready() == 200, "/readyz to say 200", timeout=READINESS_SECONDS)
    assert hall.platform_pids() == before
    assert hall.submit_case()
    assert hall.restarts("broker") == 1


def test_the_services_ride_through_a_store_restart(hall):
    before = hall.platform_pids()
    store_pid = hall.pid_of("stack.nx_server")
    os.kill(store_pid, signal.SIGKILL)

    eventually(lambda: hall.ready() == 503, "/readyz to say 503", timeout=READINESS_SECONDS)
    eventually(lambda: hall.said("store started again"), "make up to start the store again", timeout=START_SECONDS)
    eventually(lambda: hall.ready() == 200, "/readyz to say 200", timeout=READINESS_SECONDS)
    assert not Path(f"/proc/{store_pid}").exists(), "the killed store was not reaped"
    assert hall.platform_pids() == before
    assert hall.submit_case()
    assert hall.restarts("store") == 1
