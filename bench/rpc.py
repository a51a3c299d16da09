"""Benchmark: gateway -> service RPC round trip, our pika client against nameko's own.

Why it exists ("walking skeleton", item 10): the gateway is a plain Flask app, so it does not
use nameko's ``ClusterRpcProxy`` (which belongs to the eventlet world) but its own small pika
client, ``gateway.rpc.RpcClient``, speaking nameko's wire format. This benchmark checks that
the hand-made client costs no more than nameko's own proxy would. Goal: pika/nameko <= 1.3.

What it does: start a private RabbitMQ node, the document store and ONE real platform
service (``services.queue.service``, RPC ``ping`` -> "pong") in a temporary directory, on
free loopback ports. Then measure ``queue.ping`` round trips from:

- ``pika RpcClient``: in this process, which imports neither eventlet nor nameko -- the
  situation of the gateway;
- ``nameko ClusterRpcProxy (eventlet)``: a subprocess that monkey-patches with eventlet
  first, the way nameko expects to run; this is the baseline the goal refers to;
- ``nameko ClusterRpcProxy (plain)``: a subprocess without monkey-patching. The standalone
  proxy works there too; it is shown for reference only.

Each client is warmed up, then the calls run in interleaved blocks (pika, nameko, nameko,
then rotated) so that drift on the machine (other processes, broker housekeeping) hits every
client alike. Only one client runs at a time: the parent waits while a subprocess runs its
block. Times are ``time.perf_counter_ns`` around each call, taken in the calling process.

How to read it: the table gives median and p99 (nearest rank) in milliseconds per round trip.
The ratio line divides pika by nameko (eventlet); the goal is met when both the median and
the p99 ratio are <= 1.3. p99 on a busy 2-core machine is noisy: repeat before concluding.
The last line runs 4 threads, each with its own connection through one shared
``RpcClient`` (it keeps a link per thread), for a bounded second and reports calls/s.

    /tmp/venv/bin/python -m bench.rpc            # 2000 calls per client
    /tmp/venv/bin/python -m bench.rpc --quick    # 300 calls per client
"""

import sys
import warnings

# nameko imports eventlet, which announces its own deprecation on import: known noise.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

if __name__ == "__main__" and sys.argv[1:3] == ["--nameko-worker", "eventlet"]:
    # nameko's own rule: patch the standard library before anything else is imported.
    import eventlet

    eventlet.monkey_patch()

import argparse
import contextlib
import json
import os
import select
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench.clients import percentile

REPO_ROOT = Path(__file__).resolve().parent.parent

SERVICE = "queue"
METHOD = "ping"
GOAL = 1.3
READY_TIMEOUT = 60.0
BLOCK_TIMEOUT = 120.0

PIKA = "pika RpcClient"
NAMEKO_EVENTLET = "nameko ClusterRpcProxy (eventlet)"
NAMEKO_PLAIN = "nameko ClusterRpcProxy (plain)"


# --- timing -----------------------------------------------------------------------------


def time_calls(call, count):
    """Nanoseconds of each of ``count`` calls of ``call()``."""
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return samples


def warm_up(call, count):
    for _ in range(count):
        answer = call()
        if answer != "pong":
            raise RuntimeError(f"{SERVICE}.{METHOD} answered {answer!r}, not 'pong'")


def summary(samples):
    return {
        "calls": len(samples),
        "median_ms": statistics.median(samples) / 1e6,
        "p99_ms": percentile(samples, 0.99) / 1e6,
    }


# --- nameko side: a subprocess that runs blocks of calls on request -----------------------


def nameko_worker(amqp_uri, warmup):
    """Line protocol on stdin/stdout: after ``{"ready": true}``, each line ``N`` is answered
    with the JSON list of the nanoseconds of N calls; end of input ends the worker."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as proxy:

        def call():
            return proxy.queue.ping()

        warm_up(call, warmup)
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            print(json.dumps(time_calls(call, int(line))), flush=True)


class WorkerClient:
    """The parent's handle on one nameko worker subprocess."""

    def __init__(self, name, mode, amqp_uri, warmup):
        self.name = name
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.rpc",
                "--nameko-worker",
                mode,
                "--amqp-uri",
                amqp_uri,
                "--warmup",
                str(warmup),
            ],
            cwd=REPO_ROOT,
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        ready = self._read(READY_TIMEOUT)
        if ready != {"ready": True}:
            raise RuntimeError(f"{name}: unexpected first line {ready!r}")

    def _read(self, timeout):
        readable, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if readable else b""
        if not line:
            self.close()
            stderr = self.process.stderr.read().decode(errors="replace").strip()
            raise RuntimeError(
                f"{self.name} gave no answer (exit code {self.process.returncode}): {stderr[-2000:] or 'no output'}"
            )
        return json.loads(line)

    def run_block(self, count):
        self.process.stdin.write(f"{count}\n".encode())
        self.process.stdin.flush()
        return self._read(BLOCK_TIMEOUT)

    def close(self):
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class PikaClient:
    """Our gateway client, in this process."""

    def __init__(self, rpc_client, warmup):
        self.name = PIKA
        self.rpc = rpc_client
        warm_up(self.call, warmup)

    def call(self):
        return self.rpc.call(SERVICE, METHOD)

    def run_block(self, count):
        return time_calls(self.call, count)

    def close(self):
        self.rpc.close()


# --- the platform pieces this benchmark needs ----------------------------------------------


def child_env(**extra):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), **extra)
    env.pop("PYTHONSTARTUP", None)
    return env


def start_service(stack, workdir):
    """Broker, store and one real platform service, started as ``make up`` starts them."""
    from stack.platform import Platform

    platform = Platform(workdir, metrics_ports={SERVICE: 0})
    stack.callback(platform.stop)
    platform.start_infrastructure()
    platform.start_service(SERVICE)
    return platform


def wait_until_answering(rpc_client, platform, timeout=READY_TIMEOUT):
    from gateway.rpc import RpcError

    deadline = time.monotonic() + timeout
    while True:
        if platform.exited():
            log_path = platform.log_dir / f"{SERVICE}.log"
            raise RuntimeError(f"the {SERVICE} service exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            if rpc_client.call(SERVICE, METHOD, timeout=2.0) == "pong":
                return
        except RpcError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {SERVICE} service did not answer within {timeout:.0f} s: {exc}") from None
        time.sleep(0.1)


# --- measurements ---------------------------------------------------------------------------


def interleaved(clients, calls, block):
    """``calls`` samples per client, in blocks of ``block``, the order rotated every round."""
    samples = {client.name: [] for client in clients}
    done = 0
    round_no = 0
    while done < calls:
        count = min(block, calls - done)
        shift = round_no % len(clients)
        for client in clients[shift:] + clients[:shift]:
            samples[client.name].extend(client.run_block(count))
        done += count
        round_no += 1
    return samples


def concurrent_rate(rpc_client, threads, seconds):
    """Calls/s of ``threads`` threads calling through one RpcClient (one link per thread)."""
    counts = [0] * threads
    errors = []
    barrier = threading.Barrier(threads + 1)
    stop_at = [0.0]

    def run(index):
        try:
            rpc_client.call(SERVICE, METHOD)  # opens this thread's connection, not timed
        except Exception as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)
        barrier.wait()
        while not errors and time.perf_counter() < stop_at[0]:
            try:
                rpc_client.call(SERVICE, METHOD)
            except Exception as exc:  # noqa: BLE001 -- reported below
                errors.append(exc)
                return
            counts[index] += 1
        rpc_client.close()  # closes this thread's link

    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    stop_at[0] = time.perf_counter() + 3600  # set properly once everyone is connected
    barrier.wait(timeout=READY_TIMEOUT)
    start = time.perf_counter()
    stop_at[0] = start + seconds
    for worker in workers:
        worker.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"concurrent calls failed: {errors[0]!r}")
    return sum(counts) / elapsed


# --- report ---------------------------------------------------------------------------------


def print_report(results, order, rate, threads, seconds, calls, block):
    print(f"RPC round trip {SERVICE}.{METHOD}: {calls} calls per client, interleaved in blocks of {block}")
    width = max(len(name) for name in order)
    print(f"{'client':<{width}} | {'calls':>6} | {'median ms':>9} | {'p99 ms':>7}")
    print(f"{'-' * width}-+-{'-' * 6}-+-{'-' * 9}-+-{'-' * 7}")
    for name in order:
        row = results[name]
        print(f"{name:<{width}} | {row['calls']:>6} | {row['median_ms']:>9.3f} | {row['p99_ms']:>7.3f}")
    for baseline in order[1:]:
        median_ratio = results[PIKA]["median_ms"] / results[baseline]["median_ms"]
        p99_ratio = results[PIKA]["p99_ms"] / results[baseline]["p99_ms"]
        line = f"ratio pika / {baseline}: median {median_ratio:.2f}, p99 {p99_ratio:.2f}"
        if baseline == NAMEKO_EVENTLET:
            met = median_ratio <= GOAL and p99_ratio <= GOAL
            line += f" -- goal <= {GOAL} (median and p99): {'met' if met else 'not met'}"
        print(line)
    print(
        f"concurrency: {threads} threads x RpcClient for {seconds:g} s: {rate:.0f} calls/s "
        f"(1 thread at the median: {1000 / results[PIKA]['median_ms']:.0f} calls/s)"
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="round trips per client (default 2000)")
    parser.add_argument("--quick", action="store_true", help="300 calls per client")
    parser.add_argument("--block", type=int, default=100, help="calls per interleaved block (default 100)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed calls per client first (default 200)")
    parser.add_argument("--threads", type=int, default=4, help="threads for the concurrency line (default 4)")
    parser.add_argument("--seconds", type=float, default=1.0, help="duration of the concurrency run (default 1)")
    parser.add_argument("--no-plain", action="store_true", help="skip nameko without eventlet")
    # internal: this same file is the nameko worker subprocess
    parser.add_argument("--nameko-worker", choices=("eventlet", "plain"), help=argparse.SUPPRESS)
    parser.add_argument("--amqp-uri", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.calls = 300
        args.warmup = min(args.warmup, 50)
    if args.calls < 1 or args.block < 1 or args.threads < 1:
        parser.error("--calls, --block and --threads must be positive")
    return args


def run_benchmark(args):
    from gateway.rpc import RpcClient

    with contextlib.ExitStack() as stack:
        workdir = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="hall-bench-rpc-", ignore_cleanup_errors=True))
        )
        platform = start_service(stack, workdir)
        broker = platform.broker
        rpc_client = RpcClient(broker.amqp_uri, timeout=10.0)
        stack.callback(rpc_client.close)
        wait_until_answering(rpc_client, platform)

        clients = [PikaClient(rpc_client, args.warmup)]
        modes = [(NAMEKO_EVENTLET, "eventlet")] + ([] if args.no_plain else [(NAMEKO_PLAIN, "plain")])
        for name, mode in modes:
            worker = WorkerClient(name, mode, broker.amqp_uri, args.warmup)
            stack.callback(worker.close)
            clients.append(worker)

        samples = interleaved(clients, args.calls, args.block)
        for client in clients[1:]:
            client.close()  # idle nameko connections are gone before the concurrency run
        rate = concurrent_rate(rpc_client, args.threads, args.seconds)

    order = [client.name for client in clients]
    results = {name: summary(samples[name]) for name in order}
    print_report(results, order, rate, args.threads, args.seconds, args.calls, args.block)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.nameko_worker:
        nameko_worker(args.amqp_uri, args.warmup)
        return 0
    # `make bench` may be stopped with SIGTERM: unwind so that broker, store and service stop.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    run_benchmark(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
