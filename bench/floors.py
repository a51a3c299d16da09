"""What one completion cannot cost less than on these parts (issue 21, item 6).

Each part of a completion's path is measured apart on the running platform, as CPU per
operation summed over every platform process (``/proc``) plus this process's own, which plays
the client side (the gateway's RPC client, pymongo, the engine in-process). The platform's
background work (timers, sweeps, gauges) is measured first while nothing is asked of it and
taken off each figure.

- **http**: ``GET /healthz`` on a keep-alive connection: gunicorn + Flask + the gateway's
  middleware, no RPC, no sign-in check;
- **rpc**: ``approval.ping`` with the gateway's ``RpcClient``: a publish, the broker, nameko
  receiving and answering, the reply;
- **engine**: SpiffWorkflow restoring an accept task's instance, completing it, serializing it;
- **event**: one event published as the approval's ``EventDispatcher`` does (nameko's
  publisher: persistent, with the broker's confirm) on the approval's exchange, under a name
  no queue is bound to (as ``case_progressed`` now is in the hall: a plain step's event wakes
  no service);
- **store find / update / insert**: pymongo against the embedded store with the approval's
  own documents (an instance found by ``_id``, its compare-and-set ``update`` by ``_id`` and
  ``rev``, a step record inserted): the store's CPU and pymongo's apart.

The **completion floor** is their sum for one completion (one request, one RPC, the engine,
one event, the three store commands approval makes): what a plain step would cost if every
part did nothing but its own floor. The benchmark's own HTTP client (``client`` of ``http``,
the applicant's browser) is not part of it.
"""

import itertools
import time

import pymongo
from bson import ObjectId
from nameko.standalone.events import event_dispatcher

from bench.approval import cpu_seconds, platform_pids
from bench.clients import Connection
from gateway.rpc import RpcClient

IDLE_SECONDS = 3.0
STORE_PARTS = ("store find", "store update", "store insert")


class Meter:
    """CPU per call by process, the platform's background rate taken off."""

    def __init__(self, platform):
        self.pids = platform_pids(platform)
        before, started = self._now(), time.monotonic()
        time.sleep(IDLE_SECONDS)
        self.idle = {name: value / (time.monotonic() - started) for name, value in self._since(before).items()}

    def _now(self):
        return {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def _since(self, before):
        now = self._now()
        return {name: now[name] - before[name] for name in self.pids}

    def per_call(self, count, call):
        """``{process: CPU ms per call}``; ``client`` is this process."""
        before, started, mine = self._now(), time.monotonic(), time.process_time()
        for _ in range(count):
            call()
        elapsed = time.monotonic() - started
        spent = {
            name: max(0.0, value - self.idle[name] * elapsed) * 1000 / count
            for name, value in self._since(before).items()
        }
        spent["client"] = 1000 * (time.process_time() - mine) / count
        return {name: round(value, 3) for name, value in spent.items() if value >= 0.005}


def measure(platform, in_process, count=1000):
    """``{part: {process: ms}}`` and ``completion``: the parts of one completion summed."""
    meter = Meter(platform)
    floors = {}
    http = Connection(platform.gateway_url)
    floors["http"] = meter.per_call(count, lambda: http.get("/healthz"))
    http.close()
    rpc = RpcClient(platform.broker.amqp_uri)
    try:
        rpc.call("approval", "ping")
        floors["rpc"] = meter.per_call(count, lambda: rpc.call("approval", "ping"))
    finally:
        rpc.close()
    dispatch = event_dispatcher({"AMQP_URI": platform.broker.amqp_uri})
    probe = {"case_no": "20261203000001", "rev": 2, "status": "in_progress", "current_step": "审查 Review"}
    floors["event"] = meter.per_call(count, lambda: dispatch("approval", "floor_probe", probe))
    diagram, state, task_id = in_process.floor_state()
    floors["engine"] = meter.per_call(count, lambda: in_process.engine_only(diagram, state, task_id, 1))
    floors.update(store_floors(meter, platform.store.mongo_uri, count))
    floors["completion"] = completion_floor(floors)
    return floors


def store_floors(meter, mongo_uri, count):
    """The approval's three commands on copies of its own documents, in a database of their own."""
    client = pymongo.MongoClient(mongo_uri)
    try:
        hall = client.hall_approval
        instance = hall.process_instances.find_one({})
        step = hall.steps.find_one({})
        floor = client.bench_floors
        floor.instances.drop(), floor.steps.drop()
        ids = [ObjectId() for _ in range(count)]
        floor.instances.insert_many([dict(instance, _id=_id, rev=1) for _id in ids])
        found, updated, inserted = iter(ids), iter(ids), itertools.count()
        parts = {
            "store find": meter.per_call(count, lambda: floor.instances.find_one({"_id": next(found)})),
            "store update": meter.per_call(
                count,
                lambda: floor.instances.update_one(
                    {"_id": next(updated), "rev": 1}, {"$set": {"rev": 2, "state": instance["state"]}}
                ),
            ),
            "store insert": meter.per_call(
                count, lambda: floor.steps.insert_one(dict(step, _id=f"floor:{next(inserted)}"))
            ),
        }
        client.drop_database("bench_floors")
        return parts
    finally:
        client.close()


def completion_floor(floors):
    """``{process: ms}`` of one request (the platform's side), one RPC, the engine, one event
    and the three store commands."""
    total = {}
    for part in ("http", "rpc", "engine", "event", *STORE_PARTS):
        for name, value in floors[part].items():
            if (part, name) != ("http", "client"):
                total[name] = round(total.get(name, 0.0) + value, 3)
    return total
