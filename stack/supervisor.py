"""Keeps ``make up`` running: a process of the platform that exits (a service, the gateway,
the broker, the store) is started again, after a pause that doubles with each exit in a
row (1 s, 2 s, 4 s … at most 30 s), so a process that cannot start does not spin. A
process that ran for a minute starts afresh at 1 s. The broker and the store come back
first: the services wait for them anyway. Each restart is one line on the output and one
count of ``hall_stack_restarts_total{process=…}`` on the supervisor's own ``/metrics``.

The services ride through a restart of the broker or the store (they reconnect by
themselves); only the process that exited is started again.
"""

import time

from prometheus_client import CollectorRegistry, Counter, start_http_server

FIRST_PAUSE_SECONDS = 1.0
LONGEST_PAUSE_SECONDS = 30.0
STABLE_SECONDS = 60.0
RESTART_ORDER = ("broker", "store")  # then the others, in the order they exited


def describe_exit(code):
    if code is None:
        return "not running"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit code {code}"


class Supervisor:
    def __init__(self, platform, say, clock=time.monotonic):
        self.platform, self.say, self.clock = platform, say, clock
        self.registry = CollectorRegistry()
        self.restarts = Counter(
            "hall_stack_restarts_total",
            "Processes of the platform started again by make up.",
            ["process"],
            registry=self.registry,
        )
        self.started = {}  # name -> when it was last started
        self.restart_counts = {}
        self.exits_in_a_row = {}
        self.due = {}  # name -> when it is to be started again

    def serve_metrics(self, port, host):
        start_http_server(port, addr=host, registry=self.registry)

    def check(self):
        """Notice the processes that exited, and start those whose pause is over."""
        now = self.clock()
        for name, code in self.platform.exited().items():
            if name not in self.due:
                self._schedule(name, now, f"{name} stopped ({describe_exit(code)})")
        first = {name: rank for rank, name in enumerate(RESTART_ORDER)}
        for name in sorted(self.due, key=lambda n: (first.get(n, len(first)), self.due[n])):
            if self.due[name] <= self.clock():
                self._restart(name)

    def _schedule(self, name, now, why):
        if now - self.started.get(name, now - STABLE_SECONDS) >= STABLE_SECONDS:
            self.exits_in_a_row[name] = 0
        self.exits_in_a_row[name] = self.exits_in_a_row.get(name, 0) + 1
        pause = min(FIRST_PAUSE_SECONDS * 2 ** (self.exits_in_a_row[name] - 1), LONGEST_PAUSE_SECONDS)
        self.due[name] = now + pause
        self.say(f"{why}; starting it again in {pause:g} s")

    def _restart(self, name):
        del self.due[name]
        self.started[name] = self.clock()
        self.restarts.labels(name).inc()
        self.restart_counts[name] = self.restart_counts.get(name, 0) + 1
        try:
            self.platform.restart(name)
        except RuntimeError as exc:
            self._schedule(name, self.clock(), f"{name} did not start: {exc}")
        else:
            self.say(f"{name} started again (restart {self.restart_counts[name]})")
