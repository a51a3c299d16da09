"""The soak (``make soak``): one ``make up``, its capacity measured with the fault suite's
traffic (``hall_traffic``: cases, payments, queue calls) as fast as four clients go, then
``SOAK_SECONDS`` (600 in make soak) of the same traffic at half that rate. Nothing may go
wrong (no 5xx, no refused connection, every check of the fault suite) and the memory of
every process stays flat: its resident size, sampled from /proc, grows by less than
``FLAT_GROWTH`` from the second third of the run to the last (the first third warms up).

Skipped unless ``SOAK_SECONDS`` is set: ten minutes do not belong in ``make test``.
"""

import os
import statistics
import threading
import time

import pytest

from tests.faults.hall_traffic import Traffic
from tests.faults.running_hall import REPO_ROOT, Hall

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "0"))
CAPACITY_SECONDS = 60
SAMPLE_SECONDS = 5
FLAT_GROWTH = 0.10

pytestmark = [
    pytest.mark.skipif(not SOAK_SECONDS, reason="the soak runs in make soak (SOAK_SECONDS)"),
    pytest.mark.timeout(SOAK_SECONDS + CAPACITY_SECONDS + 900),
]


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    running = Hall(tmp_path_factory.mktemp("soak"), env={"RATE_LIMIT_PER_MINUTE": "1000000"})
    try:
        yield running.wait_started()
    finally:
        running.stop()


def run_for(traffic, seconds, pace=None):
    """Cases until ``seconds`` have passed (at most one started every ``pace`` seconds)."""
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    started = time.monotonic()
    traffic.run_cases(10**6, pace=pace, stop=stop)
    timer.cancel()
    return time.monotonic() - started


def growth(samples, part):
    """Median resident size in the last third over the second third, minus one."""
    sizes = [sample.get(part) for sample in samples]
    third = len(sizes) // 3
    middle, last = sizes[third : 2 * third], sizes[2 * third :]
    if None in middle + last:
        return None  # the process was not there all along (restarted): not flat by definition
    return statistics.median(last) / statistics.median(middle) - 1


def test_half_the_capacity_for_the_soak_leaves_no_error_and_flat_memory(hall, capsys):
    measuring = Traffic(hall.url, hall.store_uri, REPO_ROOT).prepare()
    elapsed = run_for(measuring, CAPACITY_SECONDS)
    capacity = measuring.done / elapsed

    traffic = Traffic(hall.url, hall.store_uri, REPO_ROOT).prepare()
    samples, stop_sampling = [], threading.Event()

    def sample():
        while not stop_sampling.wait(SAMPLE_SECONDS):
            samples.append(hall.memory())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    run_for(traffic, SOAK_SECONDS, pace=2 / capacity)
    stop_sampling.set()
    sampler.join()
    traffic.drain_windows()
    checks = {**measuring.verify(), **{f"soak: {k}": v for k, v in traffic.verify().items()}}
    measuring.close()
    traffic.close()
    growths = {part: growth(samples, part) for part in samples[0]}

    with capsys.disabled():
        print(
            f"\ncapacity {capacity:.2f} cases/s ({measuring.done} cases in {elapsed:.0f} s, 4 clients); soak "
            f"{traffic.done} cases in {SOAK_SECONDS:.0f} s at {capacity / 2:.2f} cases/s; {len(samples)} samples"
        )
        print(f"{'process':>10} {'RSS first MiB':>14} {'RSS last MiB':>13} {'last/second third':>18}")
        for part, grown in sorted(growths.items()):
            shown = "restarted" if grown is None else f"{grown:+.1%}"
            print(f"{part:>10} {samples[0][part] / 1024:>14.1f} {samples[-1].get(part, 0) / 1024:>13.1f} {shown:>18}")
    assert {check: found for check, found in checks.items() if found} == {}
    assert measuring.server_errors == traffic.server_errors == []
    assert measuring.refused == traffic.refused == 0
    assert {part: grown for part, grown in growths.items() if grown is None or grown >= FLAT_GROWTH} == {}
    assert hall.process.poll() is None
