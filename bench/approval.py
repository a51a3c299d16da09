"""Benchmark: the approval engine (issue 3, item 11).

What it does: start the whole platform (broker, store, five services, gunicorn gateway) the
way `make up` does, in a temporary directory on free ports, open ``--instances`` cases of the
immediate item (``MR-001``, BPMN ``immediate_item``) through ``POST /api/v1/cases``, then:

1. **latency** -- one user-task completion (the clerk's ``accept``) through the gateway
   (``POST /api/v1/tasks/{id}/complete``), against the *floor* measured in the same run and in
   interleaved blocks: SpiffWorkflow restoring the same lean state, completing the same task
   and serializing it again in this process (``bpmn_engine`` as the service uses it), plus one
   raw RPC round trip (``approval.ping`` with the gateway's ``RpcClient``) plus one store write
   (``update_one`` of a document holding that state). Goal: gateway / floor <= 2.5.
2. **throughput** -- completions per second with 1, 2 and 4 concurrent clients (goal >= 200/s).
3. **where the time goes** -- the same completion replayed in this process on the service's
   own code (``InstanceRepository.complete`` inside ``completion_requests.complete_once``,
   a database of its own on the same store), counting every store command with pymongo's
   command monitoring and timing the store and the engine (``bpmn_engine`` calls).
4. **bytes per completed instance** -- ``decide`` is completed for some cases, then every
   document the approval database holds for them is measured (BSON size). Goal <= 8 KB.
5. **timer lateness** -- a small diagram (start, timer ``timeDate``, end) is deployed through
   ``POST /api/v1/processes``; ``--timers`` instances are started by ``case_submitted`` events
   (published on the broker as intake does), their timers due one after the other at
   ``--timer-rate`` per second. Lateness = the ``timer_fired`` audit entry's time minus the
   due time. Goal p99 <= 1 s.
6. **RSS** of the approval service process: idle after start, with the ``--instances`` open
   instances, and at the end.

Samples are timed with ``time.perf_counter_ns`` in this process; p99 is nearest rank.
Read ratios measured in the same run: the machine is small (2 cores) and shared.

    /tmp/venv/bin/python -m bench.approval                      # 2000 open instances, ~3 min
    /tmp/venv/bin/python -m bench.approval --instances 10000    # the issue's 10,000 (longer)
    /tmp/venv/bin/python -m bench.approval --quick              # 400 instances, ~1 min
"""

import sys
import warnings

# nameko (imported through the service modules for the in-process floor) imports eventlet,
# which announces its own deprecation on import: known noise.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent

import bson  # noqa: E402
import pika  # noqa: E402
import pymongo  # noqa: E402
import requests  # noqa: E402
from pymongo import monitoring  # noqa: E402

from bench.clients import PLATFORM_ENV, percentile, run_threads, taking_turns, token  # noqa: E402
from gateway.rpc import RpcClient  # noqa: E402
from stack.platform import Platform  # noqa: E402

GOAL_RATIO = 2.5
GOAL_RATE = 200.0
GOAL_BYTES = 8 * 1024
GOAL_LATENESS_S = 1.0
CLIENTS = (1, 2, 4)
BLOCK = 25
APPLICATION = {
    "item_code": "MR-001",
    "materials": ["application_form", "id_card"],
    "applicant": {"kind": "person", "name": "李四", "id_number": "11010519491231002X"},
}
ACCEPT = {"intake_decision": "accept"}
DECIDE = {"decision": "approved"}
SHANGHAI = timezone(timedelta(hours=8))
TIMER_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="bench_timer_defs"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="bench_timer" name="Benchmark: wait until submitted_at" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>to_wait</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="Wait">
      <bpmn:incoming>to_wait</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing>
      <bpmn:timerEventDefinition id="wait_timer">
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">submitted_at</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>to_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="to_wait" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="to_end" sourceRef="wait" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def ms(samples):
    """(median, p99) of nanosecond samples, in ms."""
    return statistics.median(samples) / 1e6, percentile(samples, 0.99) / 1e6


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def entrypoint_time(port, method):
    """(seconds, calls) the approval service spent in ``method`` so far, from its /metrics."""
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    labels = f'{{method="{method}",service="approval"}}'
    values = {}
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name in (f"hall_entrypoint_duration_seconds_sum{labels}", f"hall_entrypoint_duration_seconds_count{labels}"):
            values[name.split("{")[0].rsplit("_", 1)[1]] = float(value)
    return values.get("sum", 0.0), values.get("count", 0.0)


def cpu_seconds(pid):
    """CPU time of ``pid`` and all its descendants (the broker's script starts the Erlang VM)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append((int(entry.name), (int(fields[11]) + int(fields[12])) / ticks))
    total, pending = 0.0, [pid]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / ticks
    except OSError:
        return 0.0
    while pending:
        for child, seconds in children.get(pending.pop(), []):
            total += seconds
            pending.append(child)
    return total


def platform_pids(platform):
    pids = {name: process.pid for name, process in platform.processes.items()}
    pids.update(store=platform.store.process.pid, broker=platform.broker.process.pid)
    return pids


# --- the platform side -------------------------------------------------------------------


def open_cases(url, db, count, threads=8, timeout=600):
    """Submit ``count`` applications and wait until each has its open ``accept`` task;
    returns (the accept task ids in the order the cases were opened, seconds)."""
    started = time.perf_counter()

    def kiosk(index):
        session = requests.Session()
        for _ in range(index, count, threads):
            session.post(f"{url}/api/v1/cases", json=APPLICATION, timeout=30).raise_for_status()

    run_threads(threads, kiosk)
    deadline = time.monotonic() + timeout
    while len(open_tasks(db, "accept")) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("the approval service did not open every case's accept task in time")
        time.sleep(0.5)
    ordered = sorted(open_tasks(db, "accept"), key=lambda t: t["case_no"])
    return [(t["task_id"], t["case_no"]) for t in ordered], time.perf_counter() - started


def open_tasks(db, element_id, query=None):
    """The open tasks ``element_id`` of the instances ``query`` finds (each instance carries its own)."""
    return [
        task
        for instance in db.process_instances.find(query or {}, {"open_tasks": 1})
        for task in instance.get("open_tasks", [])
        if task["element_id"] == element_id
    ]


def audit_entries(db, cases, kind):
    """The audit entries ``kind`` of the cases' step records."""
    return [
        entry
        for record in db.steps.find({"case_no": {"$in": cases}}, {"body": 1})
        for entry in json.loads(record["body"])["audit"]
        if entry["kind"] == kind
    ]


def complete(session, url, headers, task_id, data):
    answer = session.post(f"{url}/api/v1/tasks/{task_id}/complete", headers=headers, json={"data": data}, timeout=60)
    if answer.status_code != 200:
        raise RuntimeError(f"completing {task_id}: {answer.status_code} {answer.text[:300]}")


def completer(url, headers, tasks):
    """A client for ``run_threads``: each thread accepts tasks taken from the one shared list."""
    return taking_turns(tasks, lambda session, task: complete(session, url, headers, task[0], ACCEPT))


def throughput(url, headers, tasks, clients):
    """``clients`` threads complete ``tasks`` (taken from one shared list); returns completions/s."""
    return len(tasks) / run_threads(clients, completer(url, headers, tasks))


def stored_bytes(db, cases, task_ids):
    """Mean BSON bytes per case, by collection, of everything the approval database keeps for it."""
    by_case = {"case_no": {"$in": cases}}
    sizes = Counter()
    for collection in ("process_instances", "steps", "messages"):
        for document in db[collection].find(by_case):
            sizes[collection] += len(bson.encode(document))
            if document.get("outbox_pending"):  # the last step, until the sweep sees its record stored
                sizes["(of which outbox, until the sweep)"] += len(document["outbox"])
    for document in db.timers.find({"_id": {"$in": cases}}):
        sizes["timers"] += len(bson.encode(document))
    for document in db.idempotent_requests.find({"answer.id": {"$in": task_ids}}):
        sizes["idempotent_requests"] += len(bson.encode(document))
    return {name: size / len(cases) for name, size in sizes.items()}


def timer_lateness(url, amqp_uri, db, count, rate, lead_seconds=3.0, timeout=120):
    """Start ``count`` instances of the timer diagram whose timers fall due ``rate`` per
    second from ``lead_seconds`` on; returns the lateness of each firing in seconds."""
    designer = token(url, "designer")
    answer = requests.post(
        f"{url}/api/v1/processes",
        headers=designer,
        timeout=30,
        json={"xml": TIMER_DIAGRAM, "filename": "bench_timer.bpmn"},
    )
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"deploying the timer diagram: {answer.status_code} {answer.text[:300]}")
    first_due = datetime.now(timezone.utc) + timedelta(seconds=lead_seconds)
    day = first_due.astimezone(SHANGHAI).strftime("%Y%m%d")
    due = {f"{day}{900000 + n:06d}": first_due + timedelta(seconds=n / rate) for n in range(count)}
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.exchange_declare("intake.events", passive=True)
        for case_no, due_at in due.items():
            case = {
                "case_no": case_no,
                "process_key": "bench_timer",
                "department": "market_regulation",
                "item_code": "MR-001",
                "item_name": "benchmark",
                "kind": "immediate",
                "promised_limit_days": 1,
                "legal_limit_days": 1,
                "submitted_at": due_at.isoformat(),
            }
            channel.basic_publish(
                "intake.events",
                "case_submitted",
                json.dumps(case).encode("utf-8"),
                pika.BasicProperties(content_type="application/json", delivery_mode=2),
            )
    finally:
        connection.close()
    cases = list(due)
    deadline = time.monotonic() + lead_seconds + count / rate + timeout
    while len(audit_entries(db, cases, "timer_fired")) < count:
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    fired = {e["case_no"]: datetime.fromisoformat(e["at"]) for e in audit_entries(db, cases, "timer_fired")}
    return [(fired[case_no].timestamp() - due[case_no].timestamp()) for case_no in cases if case_no in fired]


# --- the floor and the in-process replay ------------------------------------------------


class CommandCount(monitoring.CommandListener):
    """Store commands of this process by (command, collection), and their time (in total and,
    in ``times``, by command until the next ``take_times``)."""

    def __init__(self):
        self.commands, self.nanos, self.lock = Counter(), 0, threading.Lock()
        self.times, self._keys = Counter(), {}

    def started(self, event):
        collection = event.command.get(event.command_name)
        key = (event.command_name, collection if isinstance(collection, str) else "")
        with self.lock:
            self.commands[key] += 1
            self._keys[event.request_id] = key

    def succeeded(self, event):
        with self.lock:
            self.nanos += event.duration_micros * 1000
            self.times[self._keys.pop(event.request_id, ("?", ""))] += event.duration_micros * 1000

    def failed(self, event):
        self.succeeded(event)

    def take(self):
        with self.lock:
            taken = (self.commands, self.nanos)
            self.commands, self.nanos = Counter(), 0
        return taken

    def take_times(self):
        with self.lock:
            taken, self.times = self.times, Counter()
        return taken


class EngineClock:
    """Time spent inside ``bpmn_engine`` functions (outermost calls only)."""

    FUNCTIONS = (
        "load_state",
        "dump_state",
        "complete_task",
        "open_user_tasks",
        "waiting_messages",
        "next_timer",
        "incident",
        "is_completed",
        "end_event",
        "current_steps",
        "workflow_data",
        "deliver_message",
    )

    def __init__(self, engine):
        self.nanos, self._depth = 0, threading.local()
        for name in self.FUNCTIONS:
            setattr(engine, name, self._timed(getattr(engine, name)))

    def _timed(self, function):
        def timed(*args, **kwargs):
            depth = getattr(self._depth, "n", 0)
            self._depth.n = depth + 1
            started = time.perf_counter_ns()
            try:
                return function(*args, **kwargs)
            finally:
                self._depth.n = depth
                if depth == 0:
                    self.nanos += time.perf_counter_ns() - started

        return timed

    def take(self):
        taken, self.nanos = self.nanos, 0
        return taken


class InProcess:
    """The approval service's own code in this process, on a database of its own."""

    def __init__(self, mongo_uri):
        self.count = CommandCount()
        monitoring.register(self.count)  # before any client of this process exists
        from services.approval import bpmn_engine, completion_requests
        from services.approval.definitions import DefinitionRegistry
        from services.approval.instances import InstanceRepository
        from services.common.db import connect_service_db

        self.engine, self.completion_requests = bpmn_engine, completion_requests
        config = {"MONGO_URI": mongo_uri, "MONGO_DB_PREFIX": "bench_inprocess"}
        connect_service_db(config, "approval")
        self.definitions = DefinitionRegistry()
        self.definitions.deploy_directory(REPO_ROOT / "bpmn", datetime.now(timezone.utc))
        self.repository = InstanceRepository(self.definitions)
        self.engine_clock = EngineClock(bpmn_engine)
        client = pymongo.MongoClient(mongo_uri)
        self.count_client = client
        self.floor_collection = client.bench_floor.states
        self.sequence = itertools.count(1)
        self.user = {"username": "clerk", "roles": ["clerk"], "department": "hall"}

    def case(self):
        day = datetime.now(SHANGHAI).strftime("%Y%m%d")
        return {
            "case_no": f"{day}{next(self.sequence):06d}",
            "process_key": "immediate_item",
            "department": "market_regulation",
            "item_code": "MR-001",
            "item_name": "benchmark",
            "kind": "immediate",
            "promised_limit_days": 1,
            "legal_limit_days": 1,
            "submitted_at": datetime.now(timezone.utc).isoformat(),
        }

    def floor_state(self):
        """The lean state of a fresh immediate-item instance and its accept task's id."""
        _, diagram = self.definitions.latest("immediate_item")
        workflow = self.engine.start(diagram, self.case())
        task_id = self.engine.open_user_tasks(workflow)[0]["id"]
        state = self.engine.dump_state(workflow)
        self.floor_collection.replace_one({"_id": 1}, {"_id": 1, "state": state}, upsert=True)
        return diagram, state, task_id

    def floor(self, rpc, diagram, state, task_id, count):
        """``count`` floor samples: restore + complete + serialize, one RPC, one store write."""
        samples = []
        for _ in range(count):
            started = time.perf_counter_ns()
            workflow = self.engine.load_state(diagram, state)
            self.engine.complete_task(workflow, task_id, dict(ACCEPT))
            after = self.engine.dump_state(workflow)
            rpc.call("approval", "ping")
            self.floor_collection.update_one({"_id": 1}, {"$set": {"state": after}})
            samples.append(time.perf_counter_ns() - started)
        return samples

    def engine_only(self, diagram, state, task_id, count):
        samples = []
        for _ in range(count):
            started = time.perf_counter_ns()
            workflow = self.engine.load_state(diagram, state)
            self.engine.complete_task(workflow, task_id, dict(ACCEPT))
            self.engine.dump_state(workflow)
            samples.append(time.perf_counter_ns() - started)
        return samples

    def finish(self, completed):
        """After a completion, what the service does besides dispatching: store the step records."""
        answer, announcements = completed
        for announcement in announcements:
            self.repository.announced(announcement)
        return answer

    def replay(self, count):
        """Complete ``count`` accept tasks as the service does; per completion: total ns,
        store commands, store ns, engine ns."""
        cases = [self.case() for _ in range(count)]
        for case in cases:
            for announcement in self.repository.start_for_case(case, datetime.now(timezone.utc)):
                self.repository.announced(announcement)
        database = self.count_client.bench_inprocess_approval
        tasks = [open_tasks(database, "accept", {"case_no": case["case_no"]})[0]["task_id"] for case in cases]
        self.count.take(), self.count.take_times(), self.engine_clock.take()
        totals, commands, store_ns, engine_ns = [], Counter(), [], []
        for task_id in tasks:
            started = time.perf_counter_ns()
            self.completion_requests.complete_once(
                None,
                None,
                task_id,
                lambda key, task_id=task_id: self.finish(
                    self.repository.complete(task_id, dict(ACCEPT), self.user, datetime.now(timezone.utc), key)
                ),
            )
            totals.append(time.perf_counter_ns() - started)
            counted, nanos = self.count.take()
            commands.update(counted)
            store_ns.append(nanos)
            engine_ns.append(self.engine_clock.take())
        return totals, commands, store_ns, engine_ns, self.count.take_times()


# --- the run -----------------------------------------------------------------------------


def latency(url, headers, in_process, rpc, tasks, samples):
    """Gateway completions and floor samples in interleaved blocks."""
    diagram, state, task_id = in_process.floor_state()
    in_process.floor(rpc, diagram, state, task_id, 20)  # warm up
    gateway, floor, session, pending = [], [], requests.Session(), iter(tasks)
    for block in range(math.ceil(samples / BLOCK)):
        size = min(BLOCK, samples - block * BLOCK)
        for turn in (0, 1) if block % 2 == 0 else (1, 0):
            if turn == 0:
                for _ in range(size):
                    task = next(pending)
                    started = time.perf_counter_ns()
                    complete(session, url, headers, task[0], ACCEPT)
                    gateway.append(time.perf_counter_ns() - started)
            else:
                floor += in_process.floor(rpc, diagram, state, task_id, size)
    engine = in_process.engine_only(diagram, state, task_id, samples)
    return gateway, floor, engine


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=2000, help="open instances (cases) to create")
    parser.add_argument("--samples", type=int, default=200, help="latency samples, gateway and floor each")
    parser.add_argument("--completions", type=int, default=200, help="completions per concurrency level")
    parser.add_argument("--timers", type=int, default=200)
    parser.add_argument("--timer-rate", type=float, default=20.0, help="timers falling due per second")
    parser.add_argument("--replay", type=int, default=50, help="completions replayed in-process")
    parser.add_argument("--decided", type=int, default=50, help="instances completed to the end for bytes")
    parser.add_argument("--quick", action="store_true", help="400 instances, 60 samples, 60 completions per level")
    args = parser.parse_args(argv)
    if args.quick:
        args.instances, args.samples, args.completions, args.timers, args.replay, args.decided = 400, 60, 60, 60, 20, 20
    needed = args.samples + len(CLIENTS) * args.completions
    if args.instances < needed:
        parser.error(f"--instances must be at least samples + 3 x completions = {needed}")
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with tempfile.TemporaryDirectory(prefix="bench-approval-") as run_dir:
        platform = Platform(run_dir, env=PLATFORM_ENV)
        try:
            platform.start()
            results = measure(platform, args)
        finally:
            platform.stop()
    return report(args, results)


def measure(platform, args):
    url, pid = platform.gateway_url, platform.processes["approval"].pid
    db = pymongo.MongoClient(platform.store.mongo_uri).hall_approval
    results = {"rss_idle": rss_kib(pid)}
    tasks, results["open_seconds"] = open_cases(url, db, args.instances)
    time.sleep(2)  # let the events of the openings settle
    results["rss_open"] = rss_kib(pid)
    clerk, chief = token(url, "clerk"), token(url, "chief")
    in_process = InProcess(platform.store.mongo_uri)
    rpc = RpcClient(platform.broker.amqp_uri)
    metrics_port = platform.metrics_ports["approval"]
    try:
        measured, rest = tasks[: args.samples], tasks[args.samples :]
        inside_before = entrypoint_time(metrics_port, "complete_task")
        results["gateway"], results["floor"], results["engine"] = latency(
            url, clerk, in_process, rpc, measured, args.samples
        )
        inside_after = entrypoint_time(metrics_port, "complete_task")
        results["inside_ms"] = 1000 * (inside_after[0] - inside_before[0]) / (inside_after[1] - inside_before[1])
        results["rpc"] = []
        for _ in range(args.samples):
            started = time.perf_counter_ns()
            rpc.call("approval", "ping")
            results["rpc"].append(time.perf_counter_ns() - started)
    finally:
        rpc.close()
    results["rates"], pids = {}, platform_pids(platform)
    for clients in CLIENTS:
        batch, rest = rest[: args.completions], rest[args.completions :]
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        mine = time.process_time()
        results["rates"][clients] = throughput(url, clerk, batch, clients)
        if clients == CLIENTS[-1]:  # CPU per completion, by process, at the highest concurrency
            results["cpu_ms"] = {
                name: 1000 * (cpu_seconds(pid) - before[name]) / len(batch) for name, pid in pids.items()
            }
            results["cpu_ms"]["benchmark (clients)"] = 1000 * (time.process_time() - mine) / len(batch)
    results["replay"] = in_process.replay(args.replay)
    decided = measured[: args.decided]
    session = requests.Session()
    for task_id, case_no in decided:
        [decide] = open_tasks(db, "decide", {"case_no": case_no})
        complete(session, url, chief, decide["task_id"], DECIDE)
    cases = [case_no for _, case_no in decided]
    task_ids = [
        t["task_id"]
        for instance in db.process_instances.find({"case_no": {"$in": cases}}, {"done": 1})
        for t in instance.get("done", [])
    ]
    results["bytes"] = stored_bytes(db, cases, task_ids)
    results["completed"] = db.process_instances.count_documents({"case_no": {"$in": cases}, "status": "completed"})
    results["lateness"] = timer_lateness(url, platform.broker.amqp_uri, db, args.timers, args.timer_rate)
    results["rss_end"] = rss_kib(pid)
    results["instances_end"] = db.process_instances.count_documents({})
    return results


def report(args, results):
    print(
        f"bench/approval.py: {args.instances} open instances of immediate_item "
        f"(opened through the gateway in {results['open_seconds']:.0f} s), {args.samples} latency samples"
    )
    print(f"{'one completion of accept':<44} {'median ms':>10} {'p99 ms':>10}")
    rows = [
        ("through the gateway", results["gateway"]),
        ("floor: engine + 1 RPC + 1 store write", results["floor"]),
        ("  engine alone (restore, complete, dump)", results["engine"]),
        ("  RPC alone (approval.ping)", results["rpc"]),
    ]
    for name, samples in rows:
        print(f"{name:<44} {ms(samples)[0]:>10.2f} {ms(samples)[1]:>10.2f}")
    print(f"{'  of which in the service (entrypoint mean)':<44} {results['inside_ms']:>10.2f}")
    (g50, g99), (f50, f99) = ms(results["gateway"]), ms(results["floor"])
    ratio50, ratio99 = g50 / f50, g99 / f99
    print(
        f"ratio gateway / floor: median {ratio50:.2f}, p99 {ratio99:.2f} "
        f"(goal <= {GOAL_RATIO:g}: {'met' if max(ratio50, ratio99) <= GOAL_RATIO else 'NOT met'})"
    )
    rates = results["rates"]
    print(
        "completions/s with 1, 2, 4 clients: "
        + ", ".join(f"{rates[c]:.1f}" for c in CLIENTS)
        + f" (goal >= {GOAL_RATE:g}/s: {'met' if max(rates.values()) >= GOAL_RATE else 'NOT met'})"
    )
    cpu = results["cpu_ms"]
    print(
        f"CPU per completion with {CLIENTS[-1]} clients, ms: "
        + ", ".join(f"{name} {ms_:.1f}" for name, ms_ in sorted(cpu.items(), key=lambda item: -item[1]))
        + f" (total {sum(cpu.values()):.1f} on {os.cpu_count()} cores)"
    )
    totals, commands, store_ns, engine_ns, times = results["replay"]
    count = len(totals)
    print(f"where one completion's time goes (the service's code replayed in-process, {count} completions, medians):")
    print(
        f"  total {statistics.median(totals) / 1e6:.2f} ms = store {statistics.median(store_ns) / 1e6:.2f} ms "
        f"({sum(commands.values()) / count:.1f} commands) + engine {statistics.median(engine_ns) / 1e6:.2f} ms "
        f"+ the rest"
    )
    print(
        "  store commands per completion (count, mean ms): "
        + ", ".join(
            f"{name} {collection} {n / count:g} ({times[(name, collection)] / n / 1e6:.2f})"
            for (name, collection), n in sorted(commands.items())
        )
    )
    sizes = results["bytes"]
    total = sum(size for name, size in sizes.items() if not name.startswith("("))
    print(
        f"bytes stored per completed instance ({results['completed']} completed): "
        f"{total:.0f} (goal <= {GOAL_BYTES}: {'met' if total <= GOAL_BYTES else 'NOT met'}); "
        + ", ".join(f"{name} {size:.0f}" for name, size in sorted(sizes.items()))
    )
    lateness = results["lateness"]
    if lateness:
        p99 = percentile(lateness, 0.99)
        print(
            f"timer lateness ({len(lateness)} of {args.timers} fired, {args.timer_rate:g} due per s): "
            f"median {statistics.median(lateness) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {max(lateness) * 1000:.0f} ms (goal p99 <= {GOAL_LATENESS_S:g} s: "
            f"{'met' if p99 <= GOAL_LATENESS_S and len(lateness) == args.timers else 'NOT met'})"
        )
    else:
        print("timer lateness: no timer fired")
    print(
        f"approval service RSS: idle {results['rss_idle'] / 1024:.0f} MiB, with {args.instances} open instances "
        f"{results['rss_open'] / 1024:.0f} MiB, at the end ({results['instances_end']} instances) "
        f"{results['rss_end'] / 1024:.0f} MiB"
    )
    return 0 if len(lateness) == args.timers and results["completed"] == min(args.decided, args.samples) else 1


if __name__ == "__main__":
    sys.exit(main())
