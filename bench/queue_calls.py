"""Benchmark: 53 windows calling at once through the gateway (issue 5, item 8).

What it does: start the whole platform (broker, store, five services, gunicorn gateway) the
way `make up` does, in a temporary directory on free ports. Set up 53 windows serving the
categories A, B and C in rotated orders. Then:

1. issue: ``--threads`` kiosks issue ``--tickets`` tickets through ``POST /api/v1/queue/tickets``;
2. no pause: 53 threads, one per window, each with its own HTTP session, repeat "call next"
   (``POST .../windows/{n}/call``) and "finish" until the call answers 204: the capacity;
3. serving: the same number of tickets again, and the 53 windows serve each person for a
   random 1-3 s between the call and the finish (seeded): every window calls about every
   2 s, about 200 times the pace of a real hall, where a counter serves for minutes;
4. the floor, right after, in the same run: the 53 windows at the same pace read a ticket
   twice per turn (``GET /api/v1/queue/tickets/{id}``: one RPC and one store read by key, the
   cheapest queue request through the gateway) where they called and finished; the ratio
   call / floor says what the call costs above the platform's minimum on the machine as it was
   during the run (the machines are shared: absolute figures move with their load);
5. one window calls 100 tickets alone: the cost of a call with nobody else in front of it.

Each request is timed with ``time.perf_counter_ns`` around the HTTP call in the client, one
keep-alive connection per window or kiosk (``bench.clients.Connection``).
The table gives count, rate, median (p50) and p99 (nearest rank) in ms, for issuing and
for calling, and the duplicate and missing counts over both call phases: every ticket must be
called exactly once (duplicates 0, missing 0). Goal: call p99 <= 20 ms, judged on the
serving phase.

How to read it: with 53 windows pressing without pause, the calls queue in the gateway's
threads and the service's workers, so that row's latency is Little's law (53 requests in
flight / requests per second), whatever one call costs; its rate is the capacity. The
serving row is 53 windows calling concurrently at a pace the hall can actually produce.

    /tmp/venv/bin/python -m bench.queue_calls            # 500 tickets
    /tmp/venv/bin/python -m bench.queue_calls --quick    # 200 tickets
"""

import argparse
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

import requests  # noqa: E402

from bench.clients import PLATFORM_ENV, Connection, percentile, run_threads, token  # noqa: E402
from stack.platform import Platform  # noqa: E402

WINDOWS = 53
CATEGORIES = ["A", "B", "C"]
GOAL_P99_MS = 20.0
SERVICE_SECONDS = (1.0, 3.0)  # a real counter serves for minutes: this is ~200x the hall's pace


def set_up_windows(url):
    admin = token(url, "admin")
    for number in range(1, WINDOWS + 1):
        shift = number % len(CATEGORIES)
        answer = requests.put(
            f"{url}/api/v1/queue/windows/{number}",
            headers=admin,
            timeout=10,
            json={"categories": CATEGORIES[shift:] + CATEGORIES[:shift]},
        )
        answer.raise_for_status()


def issue(url, tickets, threads):
    """Issue ``tickets`` tickets from ``threads`` kiosks; (ticket ids, latencies ns, seconds)."""
    issued, samples, lock = [], [], threading.Lock()

    def kiosk(index):
        kiosk = Connection(url)
        for n in range(index, tickets, threads):
            started = time.perf_counter_ns()
            status, answer = kiosk.post("/api/v1/queue/tickets", {"category": CATEGORIES[n % 3]})
            elapsed = time.perf_counter_ns() - started
            if status != 201:
                raise RuntimeError(f"issuing a ticket answered {status}: {answer}")
            with lock:
                issued.append(answer["ticket_id"])
                samples.append(elapsed)
        kiosk.close()

    return issued, samples, run_threads(threads, kiosk)


def call_all(url, pause=None, seed=5):
    """53 windows call, serve for ``pause`` seconds (a random range: the person at the counter;
    None: no pause at all), finish, and call again, until nobody waits;
    (called ids, call latencies ns, errors, seconds)."""
    headers = token(url, "window")
    called, samples, errors, lock = [], [], [], threading.Lock()

    def window(index):
        browser, number, rng = Connection(url, headers), index + 1, random.Random(seed * 1000 + index)
        serve = (lambda: time.sleep(rng.uniform(*pause))) if pause else (lambda: None)
        serve()  # windows open one by one, not all in one instant
        while True:
            started = time.perf_counter_ns()
            status, answer = browser.post(f"/api/v1/queue/windows/{number}/call")
            elapsed = time.perf_counter_ns() - started
            if status == 204:
                break
            with lock:
                samples.append(elapsed)
                if status != 200:
                    errors.append(f"window {number}: {status} {str(answer)[:200]}")
                    break
                called.append(answer["ticket_id"])
            serve()
            status, answer = browser.post(f"/api/v1/queue/windows/{number}/finish")
            if status != 200:
                with lock:
                    errors.append(f"window {number} finish: {status} {str(answer)[:200]}")
                break
        browser.close()

    return called, samples, errors, run_threads(WINDOWS, window)


def read_all(url, ticket_ids, pause, seed=5):
    """The floor, measured in the same run: the 53 windows at the serving phase's pace, each
    turn reading a ticket twice (``GET /api/v1/queue/tickets/{id}``: one RPC and one store read
    by key, the cheapest request of the queue) where the serving phase made a call and a finish;
    the first read is timed. (latencies ns, errors, seconds)"""
    samples, errors, lock = [], [], threading.Lock()

    def window(index):
        browser, rng = Connection(url), random.Random(seed * 1000 + index)
        time.sleep(rng.uniform(*pause))
        for ticket_id in ticket_ids[index::WINDOWS]:
            path = f"/api/v1/queue/tickets/{ticket_id}"
            started = time.perf_counter_ns()
            status, answer = browser.get(path)
            elapsed = time.perf_counter_ns() - started
            with lock:
                samples.append(elapsed)
                if status != 200:
                    errors.append(f"window {index + 1} read: {status} {str(answer)[:200]}")
            time.sleep(rng.uniform(*pause))
            browser.get(path)
        browser.close()

    return samples, errors, run_threads(WINDOWS, window)


def one_window(url, tickets):
    """One window alone calls and finishes ``tickets`` tickets: the cost of a call without
    contention; (call latencies ns, seconds)."""
    kiosk, browser = Connection(url), Connection(url, token(url, "window"))
    for n in range(tickets):
        kiosk.post("/api/v1/queue/tickets", {"category": CATEGORIES[n % 3]})
    samples, started = [], time.perf_counter()
    for _ in range(tickets):
        begun = time.perf_counter_ns()
        status, _ = browser.post("/api/v1/queue/windows/1/call")
        samples.append(time.perf_counter_ns() - begun)
        finished, _ = browser.post("/api/v1/queue/windows/1/finish")
        if (status, finished) != (200, 200):
            raise RuntimeError(f"window 1 alone: call answered {status}, finish {finished}")
    kiosk.close()
    browser.close()
    return samples, time.perf_counter() - started


def row(name, samples, seconds):
    return (
        f"{name:<34} {len(samples):>7} {len(samples) / seconds:>9.1f} "
        f"{statistics.median(samples) / 1e6:>9.2f} {percentile(samples, 0.99) / 1e6:>9.2f}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8, help="kiosks issuing tickets at once")
    parser.add_argument("--quick", action="store_true", help="200 tickets")
    args = parser.parse_args(argv)
    tickets = 200 if args.quick else args.tickets
    # `make bench` may be stopped with SIGTERM: unwind so that the platform stops.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as run_dir:
        platform = Platform(run_dir, env=PLATFORM_ENV)
        try:
            platform.start()
            url = platform.gateway_url
            set_up_windows(url)
            issued, issue_samples, issue_seconds = issue(url, tickets, args.threads)
            called, call_samples, errors, call_seconds = call_all(url)
            served_issued, _, _ = issue(url, tickets, args.threads)
            served, serve_samples, serve_errors, serve_seconds = call_all(url, pause=SERVICE_SECONDS)
            floor_samples, floor_errors, floor_seconds = read_all(url, served, pause=SERVICE_SECONDS)
            alone_samples, alone_seconds = one_window(url, min(tickets, 100))
        finally:
            platform.stop()
    issued, called = issued + served_issued, called + served
    errors = errors + serve_errors + floor_errors
    duplicates = len(called) - len(set(called))
    missing = len(set(issued) - set(called))
    print(
        f"bench/queue_calls.py: {tickets} tickets, {args.threads} kiosks, {WINDOWS} windows calling through the gateway"
    )
    print(f"{'operation':<34} {'count':>7} {'per s':>9} {'p50 ms':>9} {'p99 ms':>9}")
    print(row("issue ticket", issue_samples, issue_seconds))
    print(row("call next (53 windows, no pause)", call_samples, call_seconds))
    print(row("call next (53 windows serving)", serve_samples, serve_seconds))
    print(row("read a ticket (same pace): floor", floor_samples, floor_seconds))
    print(row("call next (1 window alone)", alone_samples, alone_seconds))
    print(
        f"no-pause phase: {len(call_samples)} tickets called and finished in {call_seconds:.1f} s "
        f"({(len(call_samples) * 2) / call_seconds:.0f} requests/s with the finishes)"
    )
    print(f"duplicates: {duplicates}   missing: {missing}   errors: {len(errors)}")
    for error in errors[:5]:
        print("  ", error)
    print(
        f"serving phase: each window serves {SERVICE_SECONDS[0]:g}-{SERVICE_SECONDS[1]:g} s between call and finish, "
        f"{len(serve_samples) / serve_seconds:.1f} calls/s offered by the hall"
    )
    p99 = percentile(serve_samples, 0.99) / 1e6
    print(
        f"call / floor, same run and pace: p50 {statistics.median(serve_samples) / statistics.median(floor_samples):.2f}, "
        f"p99 {percentile(serve_samples, 0.99) / percentile(floor_samples, 0.99):.2f}"
    )
    print(
        f"goal call p99 (53 windows serving) <= {GOAL_P99_MS:g} ms: {'met' if p99 <= GOAL_P99_MS else 'NOT met'} ({p99:.1f} ms); "
        f"exactly once: {'yes' if duplicates == missing == len(errors) == 0 else 'NO'}"
    )
    return 0 if duplicates == missing == len(errors) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
