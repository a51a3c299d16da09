"""The hall keeps working through crashes: one ``make up`` (python -m stack) on free ports,
cases, payments and queue calls driven through the gateway (``hall_traffic``), and, while
they run, processes killed with SIGKILL in turn. Nobody restarts anything by hand: make up
does. Afterwards every case is in the state its steps imply, nothing is lost or done twice
(tasks, payments, timers, queue calls), every 5xx answer was a 503 problem with
Retry-After, and the recovery time of each fault is printed.

In ``make test`` (the short run) a service, the gateway, the broker and the store are
killed during 12 cases. ``make faults`` kills every service, the gateway, the broker and
the store during 300 cases (``FAULT_CASES``, ``FAULT_KILLS``, ``FAULT_WORKERS``).

Readiness follows the broker and the store (docs/operations.md: within 2 s), measured in
probes, not seconds, so that a loaded machine cannot make it flake: the first probe once
the broker or the store is gone says 503 naming what it lost (make up is held meanwhile, so
its restart cannot come first), and once the test's own checks, made as ``/readyz`` makes
them, find the store and every service answering again, readiness says 200 within
``PROBES_AFTER_RETURN`` probes sent back to back. So readiness has no cache, pause or stale
link of its own: its lag is its own checks' limits (the store's ping 1 s; a service's
ping 2 s, answered at once without the broker) plus the services' reconnection to the broker
every 0.5 s (``services/common/broker_link.py``). The processes not killed keep running
(same pids).
"""

import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.faults.hall_traffic import Traffic
from tests.faults.running_hall import REPO_ROOT, SERVICES, START_SECONDS, Hall, exited, listening_sockets, socket_inodes
from tests.waiting import eventually

LOOPBACK_ADDRESSES = {"127.0.0.1", "::1"}
SHORT_KILLS = "approval,gateway,broker,store"
CASES = int(os.environ.get("FAULT_CASES", "12"))
KILLS = os.environ.get("FAULT_KILLS", SHORT_KILLS).split(",")
WORKERS = int(os.environ.get("FAULT_WORKERS", "4"))
RUN_TIMEOUT_SECONDS = 600 + 20 * CASES  # pytest's timeout: make up, the faults, the cases
LOST = {"broker": SERVICES, "store": ("store",)}  # what /readyz names without each dependency
# One probe's checks are bounded (2 s), and on a loaded machine one may miss its bound although
# all answer; a readiness with a cache or a pause of its own would need many more probes.
PROBES_AFTER_RETURN = 3


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    running = Hall(tmp_path_factory.mktemp("faults"), env={"RATE_LIMIT_PER_MINUTE": "1000000"})
    try:
        yield running.wait_started()
    finally:
        running.stop()


def test_every_port_of_the_running_hall_listens_on_loopback_only(hall):
    sockets = listening_sockets()
    pids = [hall.process.pid, *hall.descendants()]
    bound = {sockets[inode] for pid in pids for inode in socket_inodes(pid) if inode in sockets}
    epmd_port = int(hall.env["RABBITMQ_EPMD_PORT"])  # the node's epmd runs detached from make up
    bound |= {where for where in sockets.values() if where[1] == epmd_port}

    ports = {port for _, port in bound}
    expected = {
        int(hall.env[key])
        for key in ("GATEWAY_PORT", "RABBITMQ_PORT", "RABBITMQ_DIST_PORT", "RABBITMQ_EPMD_PORT", "STORE_PORT")
    }
    expected |= {int(hall.env["METRICS_PORT_BASE"]) + i for i in range(len(SERVICES) + 1)}
    assert expected <= ports, sorted(expected - ports)
    assert {address for address, _ in bound} <= LOOPBACK_ADDRESSES, sorted(bound)


class Fault:
    """One process killed with SIGKILL and what followed, in seconds from the kill."""

    def __init__(self, hall, part):
        self.hall, self.part = hall, part
        self.others = {name: pids for name, pids in hall.platform_pids().items() if name != part}
        self.output_seen = len(hall.lines)
        self.pid = hall.main_pid(part)
        self.unready_after = self.restarted_after = self.ready_after = self.outage = None
        if part not in LOST:
            self.killed_at = time.monotonic()
            os.kill(self.pid, signal.SIGKILL)
            return
        with hall.held():  # the first probe without the dependency, before make up can restart it
            self.killed_at = time.monotonic()
            os.kill(self.pid, signal.SIGKILL)
            eventually(lambda: exited(self.pid), f"the killed {part} to end")
            self.outage = hall.readiness()
            self.unready_after = self.since()

    def follow(self):
        """Readiness lost (broker and store), the restart by make up, readiness back."""
        if self.outage is not None:
            status, detail = self.outage
            assert status == 503 and all(name in detail for name in LOST[self.part]), (
                f"the first probe without the {self.part}: {self.outage}"
            )
        eventually(
            lambda: self.hall.said(f"{self.part} started again", after=self.output_seen),
            f"make up to start the {self.part} again",
            timeout=START_SECONDS,
        )
        self.restarted_after = self.since()
        if self.outage is not None:
            eventually(
                self.hall.dependencies_answer,
                f"the store and the services to answer after the {self.part}",
                timeout=START_SECONDS,
            )
            probes = [self.hall.readiness()]
            while probes[-1][0] != 200 and len(probes) < PROBES_AFTER_RETURN:
                probes.append(self.hall.readiness())
            assert probes[-1][0] == 200, f"readiness once the {self.part} and the services answer: {probes}"
        else:
            eventually(
                lambda: self.hall.ready() == 200,
                f"/readyz to say 200 after the {self.part} came back",
                timeout=START_SECONDS,
            )
        self.ready_after = self.since()
        assert not Path(f"/proc/{self.pid}").exists(), f"the killed {self.part} was not reaped"
        now = {name: pids for name, pids in self.hall.platform_pids().items() if name != self.part}
        assert now == self.others, f"processes other than the {self.part} changed"
        return self

    def since(self):
        return round(time.monotonic() - self.killed_at, 1)

    def line(self):
        unready = f"readiness 503 after {self.unready_after} s, " if self.unready_after is not None else ""
        return (
            f"{self.part:>9}: {unready}started again after {self.restarted_after} s, "
            f"ready (recovered) after {self.ready_after} s"
        )


@pytest.mark.timeout(RUN_TIMEOUT_SECONDS)
def test_cases_payments_and_queue_calls_ride_through_each_process_killed_in_turn(hall, capsys):
    traffic = Traffic(hall.url, hall.store_uri, REPO_ROOT, workers=WORKERS).prepare()
    driver = threading.Thread(target=traffic.run_cases, args=(CASES,), daemon=True)
    started = time.monotonic()
    driver.start()
    faults = []
    for number, part in enumerate(KILLS):
        # Spread the faults over the run: each after its share of the cases is done.
        eventually(
            lambda: traffic.done >= CASES * (number + 1) // (len(KILLS) + 1) or not driver.is_alive(),
            f"the traffic to reach the {part}'s turn",
            timeout=30 * 60,
        )
        faults.append(Fault(hall, part).follow())
    driver.join(timeout=60 * 60)
    assert not driver.is_alive(), "the traffic did not finish"
    traffic.drain_windows()
    checks = traffic.verify()
    traffic.close()

    with capsys.disabled():
        print(
            f"\n{CASES} cases, {len(traffic.called)} queue calls through {len(KILLS)} faults in "
            f"{time.monotonic() - started:.0f} s; {len(traffic.server_errors)} 5xx answers "
            f"{dict(Counter(error[3] for error in traffic.server_errors))}, "
            f"{traffic.refused} connections refused (the gateway away), "
            f"{len(traffic.interrupted)} completions interrupted (409, sent again once the task was looked at)"
        )
        for fault in faults:
            print("  " + fault.line())
    assert {check: found for check, found in checks.items() if found} == {}
    assert len(traffic.cases) == CASES
    assert traffic.bad_server_errors() == []
    for part in KILLS:
        assert hall.restarts(part) == KILLS.count(part)
    assert hall.process.poll() is None
