"""Benchmark: which embedded MongoDB-wire-compatible server backs ``make up`` and the tests.

Why it exists: no MongoDB server can be installed on the development machines or in CI
(no Debian package; its binaries are downloaded from outside), so the embedded setting runs
a wire-compatible stand-in from PyPI, spoken to with the same pymongo code that talks to the
MongoDB replica set in production. Two candidates exist, NX-27017 (SQLite underneath, MIT)
and SecantusDB (WiredTiger, GPL-2). This benchmark measures, on this machine, the operations
the platform's services rely on, so the choice (docs/decisions/0001-embedded-document-store.md)
rests on numbers rather than on taste.

What it does, for each server in turn (never both at once, so they do not share the 2 cores):

- start it as a subprocess on a free loopback port (found by binding port 0) with its data,
  pid and log files in a fresh temporary directory; wait (bounded) until pymongo's ``ping``
  answers; stop it afterwards, also on error or Ctrl-C, and remove the directory;
- check a few features pymongo users take for granted (indexes, unique index enforcement,
  ``find_one_and_update`` with upsert, aggregation, transactions) and print what failed;
- for collections of 1,000 and 10,000 documents, time point read by ``_id``, ``update_one``
  by ``_id``, ``find_one_and_update`` by ``_id`` with ``$inc``, and a filtered query sorted
  on an indexed field (limit 10): median and p99 (nearest rank) in milliseconds;
- concurrency: 4 processes x 300 atomic ``$inc`` on one document; elapsed seconds, and
  whether the final count is exact (no lost updates).

Then it prints one table per server and the ratios SecantusDB / NX-27017 (NX-27017 is the
baseline, measured in the same run; a ratio above 1 means SecantusDB is slower).

Every loop is bounded in count and, per operation, in time (``--budget`` seconds; at least a
few samples are always taken), so one slow server cannot stretch the run past a few minutes.

    /tmp/venv/bin/python -m bench.store            # 1k and 10k documents, 200 samples per op
    /tmp/venv/bin/python -m bench.store --quick    # 1k documents, 50 samples per op
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import platform
import queue
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pymongo
from pymongo import MongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

LOOPBACK = "127.0.0.1"
BIN = Path(sys.executable).parent
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
OP_TIMEOUT_MS = 30_000  # one request never hangs the run
STATUSES = ("waiting", "serving", "done")
BASELINE = "NX-27017"


# --------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class ServerSpec:
    name: str
    executable: str

    def command(self, port: int, workdir: Path) -> list[str]:
        """Command line that starts the server in the foreground, data under ``workdir``."""
        exe = str(BIN / self.executable)
        if self.name == "NX-27017":
            # --pid-file/--log-file matter: their defaults are fixed paths under /tmp, and a
            # second instance refuses to start while another one's pid file is there.
            return [
                exe,
                "--host",
                LOOPBACK,
                "--port",
                str(port),
                "--data-dir",
                str(workdir / "data"),
                "--pid-file",
                str(workdir / "nx.pid"),
                "--log-file",
                str(workdir / "nx.log"),
            ]
        # An empty config file of its own: without --config it would pick up a
        # secantusd.toml from the working directory, ~/.secantus or /etc/secantus.
        config = workdir / "secantusd.toml"
        config.touch()
        return [
            exe,
            "--config",
            str(config),
            "--host",
            LOOPBACK,
            "--port",
            str(port),
            "--storage-path",
            str(workdir / "data"),
            "--log-level",
            "WARNING",
        ]


SERVERS = (ServerSpec("NX-27017", "nx-27017"), ServerSpec("SecantusDB", "secantusd-py"))


@dataclass
class Running:
    spec: ServerSpec
    port: int
    workdir: Path
    proc: subprocess.Popen
    ready_s: float = 0.0

    def uri(self) -> str:
        return f"mongodb://{LOOPBACK}:{self.port}/?directConnection=true"


def free_port() -> int:
    """A port the kernel just handed out on loopback (bind to 0, read it, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def connect(uri: str, **kwargs) -> MongoClient:
    options = {"serverSelectionTimeoutMS": 2_000, "connectTimeoutMS": 2_000, "socketTimeoutMS": OP_TIMEOUT_MS}
    options.update(kwargs)
    return MongoClient(uri, **options)


def wait_ready(server: Running) -> float:
    """Seconds from process start until ``ping`` answers; raises if it dies or times out."""
    started = time.monotonic()
    deadline = started + READY_TIMEOUT_S
    client = connect(server.uri(), serverSelectionTimeoutMS=250, connectTimeoutMS=250)
    try:
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                raise RuntimeError(
                    f"{server.spec.name} exited with {server.proc.returncode}; "
                    f"see {server.workdir / 'server.out'}:\n{tail(server)}"
                )
            try:
                client.admin.command("ping")
                return time.monotonic() - started
            except PyMongoError:
                time.sleep(0.05)
    finally:
        client.close()
    raise RuntimeError(f"{server.spec.name} not ready after {READY_TIMEOUT_S:.0f} s:\n{tail(server)}")


def tail(server: Running, lines: int = 15) -> str:
    out = server.workdir / "server.out"
    if not out.exists():
        return ""
    return "\n".join(out.read_text(errors="replace").splitlines()[-lines:])


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's own process group, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT_S)


@contextlib.contextmanager
def running(spec: ServerSpec):
    """Start ``spec`` in a fresh temporary directory; always stop it and clean up."""
    with tempfile.TemporaryDirectory(prefix=f"bench-store-{spec.executable}-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        with open(workdir / "server.out", "wb") as out:
            # A session of its own: Ctrl-C in the terminal reaches only this script, whose
            # finally-block then stops the server in order.
            proc = subprocess.Popen(
                spec.command(port, workdir),
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Running(spec, port, workdir, proc)
        try:
            server.ready_s = wait_ready(server)
            yield server
        finally:
            stop(proc)


# --------------------------------------------------------------------------- features


def probe(name: str, check, results: dict[str, str]) -> None:
    try:
        outcome = check()
        results[name] = "ok" if outcome in (None, True) else f"WRONG: {outcome}"
    except Exception as exc:  # noqa: BLE001 - a probe reports any failure, it never stops the run
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        results[name] = f"FAIL {type(exc).__name__}: {first_line[:110]}"


def check_index(coll) -> bool | str:
    """create_index's returned name must be the listed one, and drop_index must drop it."""
    name = coll.create_index([("status", 1), ("prio", 1)])
    listed = sorted(coll.index_information())
    if name not in listed:
        return f"created {name!r}, listed {listed}"
    coll.drop_index(name)
    return True if name not in coll.index_information() else f"{name!r} still there after drop"


def check_server_info(client) -> bool | str:
    version = client.server_info().get("version")
    return True if version else "server_info() has no 'version' (lowercase 'buildinfo')"


def check_counts(coll) -> bool | str:
    got = (coll.count_documents({"k": 1}), sorted(coll.distinct("k")))
    return True if got == (10, [0, 1, 2]) else f"got {got!r}"


def check_unique_index(coll) -> bool | str:
    coll.create_index("code", unique=True)
    coll.insert_one({"_id": 1, "code": "A"})
    try:
        coll.insert_one({"_id": 2, "code": "A"})
    except DuplicateKeyError:
        return True
    return "duplicate accepted"


def check_fau_upsert(coll) -> bool | str:
    doc = coll.find_one_and_update(
        {"_id": "seq"}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    doc = coll.find_one_and_update({"_id": "seq"}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER)
    return True if doc and doc.get("n") == 2 else f"got {doc!r}"


def check_aggregate(coll) -> bool | str:
    coll.insert_many([{"k": i % 3, "v": i} for i in range(30)])
    rows = list(
        coll.aggregate(
            [{"$match": {"v": {"$gte": 0}}}, {"$group": {"_id": "$k", "total": {"$sum": "$v"}}}, {"$sort": {"_id": 1}}]
        )
    )
    expected = [{"_id": k, "total": sum(v for v in range(30) if v % 3 == k)} for k in range(3)]
    return True if rows == expected else f"got {rows!r}"


def check_transaction(client, coll, commit: bool) -> bool | str:
    with client.start_session() as session:
        session.start_transaction()
        coll.insert_one({"_id": "tx"}, session=session)
        if commit:
            session.commit_transaction()
        else:
            session.abort_transaction()
    found = coll.find_one({"_id": "tx"}) is not None
    return True if found == commit else f"document {'missing' if commit else 'kept'}"


def probe_features(client: MongoClient) -> dict[str, str]:
    db = client["bench_features"]
    results: dict[str, str] = {}
    probe("server_info() version", lambda: check_server_info(client), results)
    probe("index name listed + drop_index", lambda: check_index(db.ix), results)
    probe("unique index enforced", lambda: check_unique_index(db.uq), results)
    probe("find_one_and_update upsert+AFTER", lambda: check_fau_upsert(db.fau), results)
    probe("aggregate $match/$group/$sort", lambda: check_aggregate(db.agg), results)
    probe("count_documents / distinct", lambda: check_counts(db.agg), results)
    probe("transaction commit", lambda: check_transaction(client, db.tx1, True), results)
    probe("transaction abort rolls back", lambda: check_transaction(client, db.tx2, False), results)
    with contextlib.suppress(PyMongoError):
        client.drop_database("bench_features")
    return results


# --------------------------------------------------------------------------- timings


@dataclass
class Stat:
    median_ms: float
    p99_ms: float
    samples: int

    def cell(self) -> str:
        return f"{self.median_ms:9.2f} {self.p99_ms:9.2f} {self.samples:5d}"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


def timed(op, keys: list, budget_s: float, min_samples: int = 10) -> Stat:
    """Run ``op(key)`` once per key (bounded by the list), stopping early past the budget."""
    durations: list[float] = []
    deadline = time.monotonic() + budget_s
    for key in keys:
        start = time.perf_counter_ns()
        op(key)
        durations.append((time.perf_counter_ns() - start) / 1e6)
        if len(durations) >= min_samples and time.monotonic() > deadline:
            break
    return Stat(statistics.median(durations), percentile(durations, 99), len(durations))


def seed(coll, size: int) -> None:
    coll.drop()
    batch = 1_000
    for first in range(0, size, batch):
        coll.insert_many(
            [
                {
                    "_id": i,
                    "n": 0,
                    "status": STATUSES[i % 3],
                    "prio": (i * 7919) % size,
                    "office": i % 100,
                    "name": f"applicant-{i}",
                    "note": "x" * 200,
                }
                for i in range(first, min(first + batch, size))
            ],
            ordered=False,
        )
    coll.create_index("prio")
    coll.create_index([("status", 1), ("prio", 1)])
    coll.create_index([("office", 1), ("prio", 1)])


def measure_size(client: MongoClient, size: int, samples: int, query_samples: int, budget_s: float) -> dict[str, Stat]:
    coll = client["bench_store"][f"docs_{size}"]
    seed(coll, size)
    rng = random.Random(size)
    keys = [rng.randrange(size) for _ in range(samples)]
    warm = keys[:5]
    ops = {
        "find_one by _id": lambda k: coll.find_one({"_id": k}),
        "update_one by _id": lambda k: coll.update_one({"_id": k}, {"$set": {"touched": k}}),
        "find_one_and_update $inc": lambda k: coll.find_one_and_update(
            {"_id": k}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
        ),
        # 1 in 3 documents match: a server that walks the sort index stops early.
        "filter+sort indexed, limit 10": lambda k: list(
            coll.find({"status": STATUSES[k % 3]}).sort("prio", 1).limit(10)
        ),
        # 1 in 100 match: shows whether the filter+sort is served by the index or scanned.
        "filter 1%+sort indexed, limit 10": lambda k: list(coll.find({"office": k % 100}).sort("prio", 1).limit(10)),
    }
    stats: dict[str, Stat] = {}
    for name, op in ops.items():
        for key in warm:
            op(key)
        op_keys = keys[:query_samples] if name.startswith("filter") else keys
        stats[f"{name} @{size // 1000}k"] = timed(op, op_keys, budget_s)
    coll.drop()
    return stats


# --------------------------------------------------------------------------- concurrency


def inc_worker(uri: str, incs: int, ready, start, results) -> None:
    """One of the concurrent processes: connect, wait for the start signal, $inc ``incs`` times."""
    errors, first_error = 0, ""
    client = connect(uri)
    try:
        counter = client["bench_store"]["counter"]
        client.admin.command("ping")
        ready.put(os.getpid())
        if not start.wait(timeout=120):
            results.put((0, 1, "never started"))
            return
        for _ in range(incs):
            try:
                counter.update_one({"_id": "c"}, {"$inc": {"n": 1}})
            except PyMongoError as exc:
                errors += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"[:120]
        results.put((incs - errors, errors, first_error))
    finally:
        client.close()


@dataclass
class ConcurrencyResult:
    workers: int
    incs: int
    elapsed_s: float
    final: int | None
    errors: int = 0
    note: str = ""

    @property
    def exact(self) -> bool:
        return self.final == self.workers * self.incs


def measure_concurrency(client: MongoClient, uri: str, workers: int, incs: int) -> ConcurrencyResult:
    counter = client["bench_store"]["counter"]
    counter.delete_many({})
    counter.insert_one({"_id": "c", "n": 0})
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no fork of pymongo state
    ready, results, start = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=inc_worker, args=(uri, incs, ready, start, results), daemon=True) for _ in range(workers)
    ]
    for proc in procs:
        proc.start()
    errors, notes = 0, []
    try:
        for _ in procs:
            ready.get(timeout=60)
        began = time.perf_counter()
        start.set()
        for _ in procs:
            _, failed, note = results.get(timeout=300)
            errors += failed
            if note:
                notes.append(note)
        elapsed = time.perf_counter() - began
    except queue.Empty:
        return ConcurrencyResult(workers, incs, float("nan"), None, errors, "workers timed out")
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
    doc = counter.find_one({"_id": "c"})
    return ConcurrencyResult(workers, incs, elapsed, doc and doc.get("n"), errors, notes[0] if notes else "")


# --------------------------------------------------------------------------- report


@dataclass
class ServerResult:
    name: str
    ready_s: float
    version: str
    features: dict[str, str] = field(default_factory=dict)
    stats: dict[str, Stat] = field(default_factory=dict)
    concurrency: ConcurrencyResult | None = None
    error: str = ""


def bench_server(spec: ServerSpec, args: argparse.Namespace) -> ServerResult:
    print(f"--- {spec.name}: starting", flush=True)
    with running(spec) as server:
        print(f"    ready after {server.ready_s:.2f} s on {LOOPBACK}:{server.port}", flush=True)
        client = connect(server.uri())
        result = ServerResult(spec.name, server.ready_s, "?")
        try:
            result.version = str(client.admin.command("buildInfo").get("version"))
            result.features = probe_features(client)
            for size in args.sizes:
                print(f"    {size} documents ...", flush=True)
                result.stats.update(measure_size(client, size, args.samples, args.query_samples, args.budget))
            print(f"    {args.workers} processes x {args.incs} $inc ...", flush=True)
            result.concurrency = measure_concurrency(client, server.uri(), args.workers, args.incs)
        except PyMongoError as exc:  # keep what was measured so far
            result.error = f"{type(exc).__name__}: {exc}"
        finally:
            client.close()
    return result


def print_server(result: ServerResult) -> None:
    print(f"\n== {result.name} (reports version {result.version}; ready in {result.ready_s:.2f} s)")
    if result.error:
        print(f"   ERROR: {result.error}")
    print(f"   {'operation':38s} {'median ms':>9s} {'p99 ms':>9s} {'n':>5s}")
    for name, stat in result.stats.items():
        print(f"   {name:38s} {stat.cell()}")
    conc = result.concurrency
    if conc:
        verdict = "exact" if conc.exact else f"LOST/ERR (expected {conc.workers * conc.incs})"
        print(
            f"   {f'{conc.workers} procs x {conc.incs} $inc':38s} {conc.elapsed_s:9.2f} s  "
            f"final={conc.final} {verdict}" + (f"  errors={conc.errors} {conc.note}" if conc.errors else "")
        )
    print("   features:")
    for name, outcome in result.features.items():
        print(f"     {name:36s} {outcome}")


def print_ratios(base: ServerResult, other: ServerResult) -> None:
    print(f"\n== ratios {other.name} / {base.name} (same run; > 1 means {other.name} is slower)")
    print(f"   {'operation':38s} {'median':>8s} {'p99':>8s}")
    for name, stat in base.stats.items():
        theirs = other.stats.get(name)
        if theirs is None:
            print(f"   {name:38s} {'n/a':>8s} {'n/a':>8s}")
            continue
        print(f"   {name:38s} {theirs.median_ms / stat.median_ms:8.2f} {theirs.p99_ms / stat.p99_ms:8.2f}")
    if base.concurrency and other.concurrency:
        ratio = other.concurrency.elapsed_s / base.concurrency.elapsed_s
        print(
            f"   {'concurrent $inc elapsed':38s} {ratio:8.2f}   "
            f"exact count: {base.name}={base.concurrency.exact} {other.name}={other.concurrency.exact}"
        )
    print(f"   {'time to ready':38s} {other.ready_s / base.ready_s:8.2f}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="1k documents only, 50 samples per op, 4 x 100 concurrent $inc"
    )
    parser.add_argument(
        "--budget", type=float, default=20.0, help="seconds at most per operation and size (default 20)"
    )
    parser.add_argument(
        "--only",
        choices=[s.name for s in SERVERS],
        action="append",
        help="run just this server (repeatable); ratios need both",
    )
    args = parser.parse_args(argv)
    args.sizes = [1_000] if args.quick else [1_000, 10_000]
    args.samples = 50 if args.quick else 200
    args.query_samples = 20 if args.quick else 40
    args.workers = 4
    args.incs = 100 if args.quick else 300
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.monotonic()
    print(
        f"bench/store.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pymongo {pymongo.version}"
    )
    results: list[ServerResult] = []
    for spec in SERVERS:
        if args.only and spec.name not in args.only:
            continue
        try:
            results.append(bench_server(spec, args))
        except (RuntimeError, PyMongoError) as exc:
            results.append(ServerResult(spec.name, float("nan"), "?", error=str(exc)))
    for result in results:
        print_server(result)
    by_name = {r.name: r for r in results}
    if BASELINE in by_name and len(by_name) == 2 and not any(r.error for r in results):
        other = next(r for r in results if r.name != BASELINE)
        print_ratios(by_name[BASELINE], other)
    print(f"\ntotal {time.monotonic() - began:.1f} s")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
