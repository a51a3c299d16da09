"""Benchmark: the hall's scale figures in one table (issue 21, item 5).

Starts the whole platform once (as ``make up`` does, in a temporary directory on free ports)
and, at each level of stored history (``--history``, default 1,000, 10,000 and 100,000
completed instances), measures:

- **CPU ms per completion, per process** (every platform process from ``/proc``, the
  benchmark's clients apart), at 8 clients completing ``accept`` tasks of the immediate item
  through the gateway;
- **completions/s** at 1, 2, 4 and 8 clients;
- **full instances/s** of a 4-task flow at 8 clients: the case is created through the gateway
  (``POST /api/v1/cases``, the joint registration ``MR-010``), then accepted, reviewed by
  market regulation and taxation in parallel, and decided, each person finding the task in
  their work list (``GET /api/v1/tasks?case_no=…``) and completing it. The flow is the joint
  registration diagram of ``bpmn/`` with two of its four parallel reviews left out, deployed
  as a new version at the start;
- **ratios to the floor**: a completion through the gateway against SpiffWorkflow restoring,
  completing and serializing the same state in this process plus one RPC and one store write
  (``bench.approval``, median of interleaved blocks); and the full instances/s against bare
  SpiffWorkflow running the same 4-task flow in this process (start, four completions, the
  state serialized after each step);
- **RSS of every service**.

History is seeded directly in the store: one finished 4-task case is run through the platform,
then every document of every hall database that names it is cloned with a new case number
(and new task ids), so each level costs the time of bulk inserts, not of running thousands of
cases. The table is printed and written as JSON to ``bench/results/summary-<time>.json`` with
the machine's core count and load average.

    .venv/bin/python -m bench.summary                  # 1k, 10k, 100k stored instances
    .venv/bin/python -m bench.summary --quick          # 1k and 10k, fewer samples
"""

import sys
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import sqlite3  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402
from contextlib import closing  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import pymongo  # noqa: E402
import requests  # noqa: E402
from bson import ObjectId  # noqa: E402

from bench import floors  # noqa: E402
from bench.approval import (  # noqa: E402
    ACCEPT,
    APPLICATION,
    InProcess,
    completer,
    cpu_seconds,
    latency,
    ms,
    platform_pids,
    rss_kib,
)
from bench.clients import PLATFORM_ENV, run_threads, taking_turns, token  # noqa: E402
from gateway.rpc import RpcClient  # noqa: E402
from services.approval.instances import key_token  # noqa: E402
from stack.platform import Platform  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
CLIENTS = (1, 2, 4, 8)
FLOW_CLIENTS = 8
LEFT_OUT = ("seal_approval", "social_insurance")  # two of the joint registration's four reviews
JOINT = {
    "item_code": "MR-010",
    "materials": ["application_form", "articles", "id_card", "premises_proof", "seal_application"],
    "applicant": {"kind": "person", "name": "王五", "id_number": "11010519491231002X"},
}
# The flow's tasks in order: (element, who completes it, form data); the two reviews run in parallel.
FLOW = (
    ("accept", "clerk", ACCEPT),
    ("business_licence", "reviewer", {"business_licence_result": "pass"}),
    ("tax_registration", "tax_reviewer", {"tax_registration_result": "pass"}),
    ("decide", "chief", {"decision": "approved"}),
)
PLAIN = FLOW[1]  # the market regulation review, while taxation's is still open
GOALS = {"cpu_ms": 10.0, "rate": 200.0, "instances_per_s": 50.0, "gateway_floor": 2.5, "growth": 1.2}
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
SEED_BATCH = 1000
CLERK_TASKS = {"$text": {"$search": key_token("clerk:hall")}}


# --- the 4-task flow ---------------------------------------------------------------------


def four_task_diagram():
    """The joint registration diagram without two of its parallel reviews (their tasks, lanes,
    flows and shapes), the decision separated from the two that remain."""
    for prefix, namespace in re.findall(
        r'xmlns:(\w+)="([^"]+)"', (REPO_ROOT / "bpmn" / "joint_registration.bpmn").read_text(encoding="utf-8")
    ):
        ET.register_namespace(prefix, namespace)
    tree = ET.parse(REPO_ROOT / "bpmn" / "joint_registration.bpmn")
    gone = set(LEFT_OUT)
    for flow in tree.iter(f"{{{BPMN}}}sequenceFlow"):
        if flow.get("sourceRef") in LEFT_OUT or flow.get("targetRef") in LEFT_OUT:
            gone.add(flow.get("id"))
    gone |= {
        lane.get("id")
        for lane in tree.iter(f"{{{BPMN}}}lane")
        if any(ref.text in LEFT_OUT for ref in lane.findall(f"{{{BPMN}}}flowNodeRef"))
    }
    for parent in list(tree.iter()):
        for child in list(parent):
            if (
                child.get("id") in gone
                or child.get("bpmnElement") in gone
                or (
                    child.tag in (f"{{{BPMN}}}incoming", f"{{{BPMN}}}outgoing", f"{{{BPMN}}}flowNodeRef")
                    and child.text in gone
                )
            ):
                parent.remove(child)
    for prop in tree.iter():
        if prop.get("name") == "separate_from":
            prop.set("value", "business_licence, tax_registration")
    return ET.tostring(tree.getroot(), encoding="unicode", xml_declaration=True)


def deploy_flow(url, xml):
    answer = requests.post(
        f"{url}/api/v1/processes",
        headers=token(url, "designer"),
        timeout=60,
        json={"xml": xml, "filename": "joint_registration.bpmn"},
    )
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"deploying the 4-task flow: {answer.status_code} {answer.text[:300]}")


class Hall:
    """The people of the flow, each with a keep-alive session and a token."""

    def __init__(self, url):
        self.url = url
        self.headers = {name: token(url, name) for name in ("clerk", "reviewer", "tax_reviewer", "chief")}

    def run_one(self, session, until=None):
        """One case through the 4-task flow, or up to the task ``until`` (left open); returns
        its case number."""
        created = session.post(f"{self.url}/api/v1/cases", json=JOINT, timeout=60)
        created.raise_for_status()
        case_no = created.json()["case_no"]
        for element, who, data in FLOW:
            if element == until:
                break
            self.complete(session, who, self.task_of(session, who, case_no, element), data)
        return case_no

    def complete(self, session, who, task_id, data):
        answer = session.post(
            f"{self.url}/api/v1/tasks/{task_id}/complete", headers=self.headers[who], json={"data": data}, timeout=60
        )
        if answer.status_code != 200:
            raise RuntimeError(f"{who} completing {task_id}: {answer.status_code} {answer.text[:200]}")

    def task_of(self, session, who, case_no, element, timeout=60):
        """The id of the case's task ``element`` once it is in ``who``'s work list."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            listed = session.get(
                f"{self.url}/api/v1/tasks",
                headers=self.headers[who],
                params={"case_no": case_no, "element_id": element},
                timeout=60,
            )
            listed.raise_for_status()
            if listed.json()["tasks"]:
                return listed.json()["tasks"][0]["id"]
            time.sleep(0.02)  # the case's process starts on intake's event
        raise RuntimeError(f"{element} of {case_no} never reached {who}'s work list")


def flows(hall, count, clients, until=None):
    """``count`` cases through the flow (or up to the task ``until``) with ``clients`` threads;
    returns (case numbers, seconds)."""
    done = []  # the threads share it: list.append is atomic
    seconds = run_threads(
        clients, taking_turns(range(count), lambda session, _: done.append(hall.run_one(session, until)))
    )
    return done, seconds


def review_steps(hall, count, pids):
    """CPU ms per process of completing a review (``PLAIN``: a step that changes nothing intake
    or the monitor own), ``count`` of them at ``FLOW_CLIENTS`` clients; the cases are brought to
    it, and its tasks found, before the measurement."""
    element, who, data = PLAIN
    cases, _ = flows(hall, count, FLOW_CLIENTS, until=element)
    session = requests.Session()
    tasks = [hall.task_of(session, who, case_no, element) for case_no in cases]
    client = taking_turns(tasks, lambda session, task_id: hall.complete(session, who, task_id, data))
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    run_threads(FLOW_CLIENTS, client)
    return {name: 1000 * (cpu_seconds(pid) - before[name]) / count for name, pid in pids.items()}


def floor_instances_per_s(xml, count):
    """Bare SpiffWorkflow in this process: the 4-task flow start to end, the state serialized
    after every step, ``count`` times."""
    from services.approval import bpmn_engine

    diagram = bpmn_engine.parse_diagram(xml.encode("utf-8"), "joint_registration.bpmn")
    started = time.process_time()
    for n in range(count):
        workflow = bpmn_engine.start(
            diagram, {"case_no": f"floor{n}", "department": "market_regulation", "on_the_spot_by": None}
        )
        state = bpmn_engine.dump_state(workflow)
        for element, _, data in FLOW:
            workflow = bpmn_engine.load_state(diagram, state)
            [task] = [t for t in bpmn_engine.open_user_tasks(workflow) if t["element_id"] == element]
            bpmn_engine.complete_task(workflow, task["id"], dict(data))
            state = bpmn_engine.dump_state(workflow)
        if not bpmn_engine.is_completed(workflow):
            raise RuntimeError("the floor's flow did not end")
    return count / (time.process_time() - started)


# --- history seeded in the store ---------------------------------------------------------


class History:
    """Clones one finished case's documents, in every hall database, under new case numbers,
    written straight into the store's SQLite files (NX-27017 keeps each collection as a table
    of ``_id`` and JSON ``data``; its indexes are SQLite's own, kept by SQLite): a bulk insert
    through the wire protocol costs the store about 3 ms a document, 100,000 cases would take
    most of an hour."""

    def __init__(self, data_dir, case_no):
        self.case_no, self.sequence = case_no, 0
        self.rows = []  # (database file, table, _id, data) naming the case
        for path in sorted(Path(data_dir).glob("hall_*.db")):
            with closing(sqlite3.connect(path, timeout=60)) as database:
                for table in _collections(database):
                    self.rows += [
                        (path, table, _id, data)
                        for _id, data in database.execute(
                            f'SELECT _id, data FROM "{table}" WHERE data LIKE ? OR _id LIKE ?',
                            (f"%{case_no}%", f"%{case_no}%"),
                        )
                        if case_no in (_id or "") or OBJECT_ID.fullmatch(_id or "")
                    ]  # not a shared counter
        self.task_ids = sorted({task_id for *_, data in self.rows for task_id in UUID.findall(data)})
        self.object_ids = [_id for _, _, _id, _ in self.rows if OBJECT_ID.fullmatch(_id or "")]
        names = [case_no, *self.task_ids, *(t.replace("-", "") for t in self.task_ids), *self.object_ids]
        pattern = re.compile("(" + "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)) + ")")
        # each text as pieces: literal, name, literal, name, ... (a name at every odd place)
        self.pieces = [(path, table, pattern.split(_id), pattern.split(data)) for path, table, _id, data in self.rows]

    def seed(self, count):
        """``count`` more finished cases; returns seconds."""
        started = time.perf_counter()
        for first in range(0, count, SEED_BATCH):
            batch = {}
            for _ in range(min(SEED_BATCH, count - first)):
                self.sequence += 1
                renamed = {self.case_no: f"19{self.sequence:012d}"}  # the hall's length, never issued
                for task_id in self.task_ids:
                    fresh = str(uuid.uuid4())
                    renamed[task_id], renamed[task_id.replace("-", "")] = fresh, fresh.replace("-", "")
                renamed.update((object_id, str(ObjectId())) for object_id in self.object_ids)
                for path, table, _id, data in self.pieces:
                    batch.setdefault((path, table), []).append((_joined(_id, renamed), _joined(data, renamed)))
            for (path, table), rows in batch.items():
                with closing(sqlite3.connect(path, timeout=60)) as database, database:
                    database.executemany(f'INSERT INTO "{table}" (_id, data) VALUES (?, ?)', rows)
        return time.perf_counter() - started


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
OBJECT_ID = re.compile(r"[0-9a-f]{24}")


def _joined(pieces, renamed):
    return "".join([renamed[piece] if odd else piece for piece, odd in zip(pieces, itertools.cycle((0, 1)))])


def _collections(database):
    """The tables that hold a collection's documents."""
    names = [row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [
        name
        for name in names
        if [column[1] for column in database.execute(f'PRAGMA table_info("{name}")')] == ["id", "_id", "data"]
    ]


# --- one level ---------------------------------------------------------------------------


def level(platform, args, hall, stored):
    url = platform.gateway_url
    pids = platform_pids(platform)
    db = pymongo.MongoClient(platform.store.mongo_uri).hall_approval
    completions = args.completions
    tasks = open_cases(url, db, args.samples + completions * len(CLIENTS))
    measured, rest = tasks[: args.samples], tasks[args.samples :]
    clerk = token(url, "clerk")
    rpc = RpcClient(platform.broker.amqp_uri)
    try:
        gateway, floor, _ = latency(url, clerk, stored["in_process"], rpc, measured, args.samples)
    finally:
        rpc.close()
    row = {
        "stored_instances": db.process_instances.estimated_document_count(),
        "gateway_ms": ms(gateway)[0],
        "floor_ms": ms(floor)[0],
    }
    row["gateway_floor"] = row["gateway_ms"] / row["floor_ms"]
    row["rates"] = {}
    for clients in CLIENTS:
        batch, rest = rest[:completions], rest[completions:]
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        row["rates"][clients] = completions / run_threads(clients, completer(url, clerk, batch))
        if clients == CLIENTS[-1]:
            row["cpu_ms"] = {name: 1000 * (cpu_seconds(pid) - before[name]) / completions for name, pid in pids.items()}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    done, seconds = flows(hall, args.flows, FLOW_CLIENTS)
    row["instances_per_s"] = len(done) / seconds
    row["cpu_ms_per_instance"] = {
        name: 1000 * (cpu_seconds(pid) - before[name]) / len(done) for name, pid in pids.items()
    }
    row["cpu_ms_review"] = review_steps(hall, completions, pids)
    row["rss_mib"] = {name: tree_rss_kib(pid) / 1024 for name, pid in pids.items()}
    return row


def open_cases(url, db, count, threads=8, timeout=600):
    """Submit ``count`` applications of the immediate item and wait until each has its open
    ``accept`` task (found as the clerk's work list finds them, not by a scan of the history);
    returns the (task id, case number) of every open accept task, oldest case first."""

    def kiosk(index):
        session = requests.Session()
        for _ in range(index, count, threads):
            session.post(f"{url}/api/v1/cases", json=APPLICATION, timeout=30).raise_for_status()

    run_threads(threads, kiosk)
    deadline = time.monotonic() + timeout
    while True:
        accepts = sorted(
            (task["case_no"], task["task_id"])
            for instance in db.process_instances.find(CLERK_TASKS, {"open_tasks": 1})
            for task in instance["open_tasks"]
            if task["element_id"] == "accept"
        )
        if len(accepts) >= count:
            return [(task_id, case_no) for case_no, task_id in accepts]
        if time.monotonic() > deadline:
            raise RuntimeError("the approval service did not open every case's accept task in time")
        time.sleep(0.5)


def tree_rss_kib(pid):
    """RSS of ``pid`` and its descendants (the broker's script starts the Erlang VM)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            total += rss_kib(current)
        except OSError:
            continue
        pending += children.get(current, [])
    return total


# --- the run -----------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--history", default="1000,10000,100000", help="stored completed instances at each level, comma-separated"
    )
    parser.add_argument("--completions", type=int, default=100, help="completions per client count")
    parser.add_argument("--samples", type=int, default=60, help="latency samples, gateway and floor each")
    parser.add_argument("--flows", type=int, default=40, help="4-task cases per level")
    parser.add_argument("--quick", action="store_true", help="1k and 10k stored, 40 completions, 24 flows")
    args = parser.parse_args(argv)
    if args.quick:
        args.history, args.completions, args.samples, args.flows = "1000,10000", 40, 30, 24
    levels = [int(n) for n in args.history.split(",")]
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with tempfile.TemporaryDirectory(prefix="bench-summary-") as run_dir:
        platform = Platform(run_dir, env=PLATFORM_ENV)
        try:
            platform.start()
            results = measure(platform, args, levels)
        finally:
            platform.stop()
    return report(results)


def report_floors(measured):
    """The floors of one completion's parts (``bench.floors``), CPU ms by process and in all."""
    names = sorted({name for figures in measured.values() for name in figures})
    print("floors, CPU ms per operation (bench/floors.py; client = this process: RPC client, pymongo, engine)")
    print(f"{'part':<16} " + " ".join(f"{name:>9}" for name in names) + f" {'all':>9}")
    for part, figures in measured.items():
        cells = " ".join(f"{figures.get(name, 0.0):>9.2f}" for name in names)
        print(f"{part:<16} {cells} {sum(figures.values()):>9.2f}")
    floor = sum(measured["completion"].values())
    print(
        f"one completion cannot cost less than {floor:.1f} ms of CPU on these parts "
        f"(goal {GOALS['cpu_ms']:g} ms: {'within reach' if floor <= GOALS['cpu_ms'] else 'out of reach'})"
    )


def settled(db, case_no, timeout=120):
    """Wait until the case's last step is swept from its instance's outbox (every 15 s, after
    a 10 s grace), as in any stored history: the clones must not carry a pending outbox."""
    deadline = time.monotonic() + timeout
    while db.process_instances.find_one({"case_no": case_no}, {"outbox_pending": 1})["outbox_pending"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the outbox of case {case_no} was not swept in time")
        time.sleep(1)
    time.sleep(2)  # intake's and monitor's last writes for the case


def measure(platform, args, levels):
    url = platform.gateway_url
    xml = four_task_diagram()
    deploy_flow(url, xml)
    hall = Hall(url)
    [template], _ = flows(hall, 1, 1)
    settled(pymongo.MongoClient(platform.store.mongo_uri).hall_approval, template)
    history = History(platform.store.data_dir, template)
    stored = {"in_process": InProcess(platform.store.mongo_uri)}
    results = {
        "machine": {
            "cores": os.cpu_count(),
            "load_average": os.getloadavg(),
            "at": datetime.now(timezone.utc).isoformat(),
        },
        "floor_instances_per_s": floor_instances_per_s(xml, 50),
        "floors": floors.measure(platform, stored["in_process"]),
        "levels": {},
    }
    seeded = 1
    for target in levels:
        seconds = history.seed(target - seeded)
        seeded = target
        print(f"  {target} completed instances stored (seeded in {seconds:.0f} s); measuring", file=sys.stderr)
        row = level(platform, args, hall, stored)
        row["floor_instances_ratio"] = results["floor_instances_per_s"] / row["instances_per_s"]
        results["levels"][target] = row
        results["machine"]["load_average_end"] = os.getloadavg()
    return results


def report(results):
    levels = results["levels"]
    first, last = levels[min(levels)], levels[max(levels)]

    def total(figures):
        return sum(figures.values())

    def without_store(figures):
        return total(figures) - figures["store"]

    processes = sorted(first["cpu_ms"], key=lambda name: -first["cpu_ms"][name])
    rows = [("stored instances (all)", lambda r: f"{r['stored_instances']}")]
    rows += [(f"CPU ms / accept: {name}", lambda r, n=name: f"{r['cpu_ms'][n]:.1f}") for name in processes]
    rows += [
        ("CPU ms / accept: all processes", lambda r: f"{total(r['cpu_ms']):.1f}"),
        ("  all but the store (MongoDB: at least)", lambda r: f"{without_store(r['cpu_ms']):.1f}"),
    ]
    rows += [(f"CPU ms / review: {name}", lambda r, n=name: f"{r['cpu_ms_review'][n]:.1f}") for name in processes]
    rows += [
        ("CPU ms / review: all processes", lambda r: f"{total(r['cpu_ms_review']):.1f}"),
        ("  all but the store (MongoDB: at least)", lambda r: f"{without_store(r['cpu_ms_review']):.1f}"),
        *[(f"completions/s, {c} clients", lambda r, c=c: f"{r['rates'][c]:.0f}") for c in CLIENTS],
        ("4-task instances/s, 8 clients", lambda r: f"{r['instances_per_s']:.1f}"),
        ("CPU ms / 4-task instance, all", lambda r: f"{total(r['cpu_ms_per_instance']):.0f}"),
        ("floor / platform instances/s", lambda r: f"{r['floor_instances_ratio']:.0f}x"),
        ("completion: gateway ms (median)", lambda r: f"{r['gateway_ms']:.1f}"),
        ("completion: floor ms (median)", lambda r: f"{r['floor_ms']:.1f}"),
        ("completion: gateway / floor", lambda r: f"{r['gateway_floor']:.2f}"),
    ]
    rows += [(f"RSS MiB: {name}", lambda r, n=name: f"{r['rss_mib'][n]:.0f}") for name in sorted(first["rss_mib"])]
    width = max(len(name) for name, _ in rows)
    print(
        f"bench/summary.py — {results['machine']['cores']} cores, load average "
        f"{results['machine']['load_average'][0]:.1f} at the start, "
        f"{results['machine']['load_average_end'][0]:.1f} at the end; "
        f"floor (bare SpiffWorkflow, 4-task flow in-process): {results['floor_instances_per_s']:.0f} instances/s"
    )
    print(f"{'completed instances stored':<{width}} " + " ".join(f"{n:>9}" for n in levels))
    for name, cell in rows:
        print(f"{name:<{width}} " + " ".join(f"{cell(row):>9}" for row in levels.values()))
    report_floors(results["floors"])
    growth = total(last["cpu_ms"]) / total(first["cpu_ms"])
    goals = {
        "CPU per completion <= 10 ms": max(total(last["cpu_ms"]), total(last["cpu_ms_review"])) <= GOALS["cpu_ms"],
        "completions/s at 8 clients >= 200": last["rates"][8] >= GOALS["rate"],
        "4-task instances/s >= 50": last["instances_per_s"] >= GOALS["instances_per_s"],
        "gateway / floor <= 2.5": last["gateway_floor"] <= GOALS["gateway_floor"],
        f"CPU growth {min(levels)} -> {max(levels)} <= 1.2x ({growth:.2f}x)": growth <= GOALS["growth"],
    }
    for goal, met in goals.items():
        print(f"goal {goal}: {'met' if met else 'NOT met'}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"summary-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(
        json.dumps(dict(results, goals=goals, growth=growth), indent=2, default=str) + "\n", encoding="utf-8"
    )
    print(f"written to {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
