"""The durable timer scheduler, wired into the approval service's nameko container.

Timers are durable because they live in the store (``timers.py``); the scheduler only
decides *when* to look. One loop per container sleeps until the earliest pending timer is
due, then runs the service's ``@due_timers`` method in a worker (so firing has the same
dependencies, events and metrics as any entrypoint). It wakes early when:

- a step of this container saves a timer due before the one it sleeps for (the store rings
  the container's ``Alarm``);
- the platform clock moved (the service rings it from its clock handler);
- ``RESCAN_SECONDS`` passed: a timer saved by *another* replica that then stopped is picked up
  by the survivors within that bound. Timers of a running replica fire on time from its own
  loop; this bound only matters when a replica dies.

After a restart the loop starts by reading the index, so pending timers fire, late ones at
once. With several replicas every loop may try the same timer; firing is a compare-and-set
step on the instance, so it fires once.
"""

import logging
import threading

from eventlet import sleep
from eventlet.event import Event
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import DependencyProvider, Entrypoint, SharedExtension

from services.approval import timers
from services.common.db import ServiceStore
from services.common.time import utcnow

log = logging.getLogger(__name__)

RESCAN_SECONDS = 5.0
STORE_RETRY_SECONDS = 1.0


class Alarm(SharedExtension):
    """One per container: what the scheduler's loop sleeps on."""

    def __init__(self):
        super().__init__()
        self._woken = threading.Event()
        self._until = None  # the due time the loop sleeps for; None while it is awake

    def ring(self, due_at):
        """A timer due at ``due_at`` was saved: wake the loop if it sleeps for a later one."""
        if due_at is not None and (self._until is None or due_at < self._until):
            self._woken.set()

    def ring_now(self):
        self._woken.set()

    def awake(self):
        """Called by the loop before it reads the index: a ring from now on is not lost."""
        self._woken.clear()
        self._until = None

    def sleep_until(self, due_at, longest):
        """Sleep until ``due_at`` (at most ``longest`` seconds); True when rung earlier."""
        self._until = due_at
        seconds = longest if due_at is None else min(max((due_at - utcnow()).total_seconds(), 0), longest)
        woken = self._woken.wait(seconds)
        self._until = None
        return woken


class ProcessStore(ServiceStore):
    """The approval service's store: the instance repository rings the container's alarm."""

    alarm = Alarm()

    def setup(self):
        super().setup()
        self.repository.alarm = self.alarm


class TimerAlarm(DependencyProvider):
    """Gives workers the container's alarm (the clock handler rings it)."""

    alarm = Alarm()

    def get_dependency(self, worker_ctx):
        return self.alarm


class DueTimers(Entrypoint):
    """Runs the decorated method whenever pending timers are due."""

    alarm = Alarm()

    def __init__(self, rescan_seconds=RESCAN_SECONDS, **kwargs):
        self.rescan_seconds = rescan_seconds
        self.stopping = False
        self.worker_done = Event()
        self.thread = None
        super().__init__(**kwargs)

    def start(self):
        self.thread = self.container.spawn_managed_thread(self._run)

    def stop(self):
        self.stopping = True
        self.alarm.ring_now()
        self.thread.wait()

    def kill(self):
        if self.thread is not None:
            self.thread.kill()

    def _run(self):
        while not self.stopping:
            self.alarm.awake()
            try:
                due_at = timers.earliest()
            except Exception:  # the store is away: try again soon, the timers are still there
                log.warning("the timer index could not be read", exc_info=True)
                sleep(STORE_RETRY_SECONDS)
                continue
            if due_at is not None and due_at <= utcnow():
                try:
                    self.container.spawn_worker(self, (), {}, handle_result=self._worker_finished)
                except ContainerBeingKilled:
                    break
                self.worker_done.wait()
                self.worker_done.reset()
                continue
            self.alarm.sleep_until(due_at, self.rescan_seconds)

    def _worker_finished(self, worker_ctx, result, exc_info):
        if exc_info is not None:
            sleep(STORE_RETRY_SECONDS)  # the worker logged it; do not spin on a failing store
        self.worker_done.send()
        return result, exc_info


due_timers = DueTimers.decorator
