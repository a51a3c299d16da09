"""`make up` (python -m stack) runs in the foreground, refuses a second copy on the same
data or a port another program holds, and leaves nothing running after SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from stack.ports import free_port, free_port_range

REPO_ROOT = Path(__file__).resolve().parents[2]


def processes_using(path):
    found = subprocess.run(["pgrep", "-f", "--", str(path)], capture_output=True, text=True).stdout.split()
    return [pid for pid in found if int(pid) != os.getpid()]


def make_up_environment(run_dir):
    """Free ports for every listener of make up: the five services' metrics and the supervisor's."""
    return dict(
        os.environ,
        RUN_DIR=str(run_dir),
        GATEWAY_PORT=str(free_port()),
        RABBITMQ_PORT=str(free_port()),
        RABBITMQ_DIST_PORT=str(free_port()),
        RABBITMQ_EPMD_PORT=str(free_port()),
        STORE_PORT=str(free_port()),
        METRICS_PORT_BASE=str(free_port_range(6)),
    )


@pytest.mark.parametrize(
    "setting, offset",
    [("GATEWAY_PORT", 0), ("STORE_PORT", 0), ("METRICS_PORT_BASE", 2), ("METRICS_PORT_BASE", 5)],
    ids=["gateway", "store", "a-service-metrics", "supervisor-metrics"],
)
def test_a_taken_port_is_one_line_on_stderr_and_a_failure(tmp_path, setting, offset):
    env = make_up_environment(tmp_path / "run")
    taken = int(env[setting]) + offset
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", taken))
        holder.listen()
        up = subprocess.run(
            [sys.executable, "-m", "stack"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    assert up.returncode != 0
    assert "Traceback" not in up.stderr + up.stdout
    (line,) = up.stderr.strip().splitlines()
    assert f"port {taken} is taken" in line and setting in line


def test_make_up_runs_refuses_a_second_copy_and_stops_everything_on_sigterm(tmp_path):
    run_dir = tmp_path / "run"
    env = make_up_environment(run_dir)
    up = subprocess.Popen(
        [sys.executable, "-m", "stack"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        printed = []
        for line in up.stdout:
            printed.append(line)
            if "Press Ctrl-C to stop." in line or up.poll() is not None:
                break
        assert any(f"http://127.0.0.1:{env['GATEWAY_PORT']}" in line for line in printed), "".join(printed)
        assert requests.get(f"http://127.0.0.1:{env['GATEWAY_PORT']}/readyz", timeout=10).status_code == 200

        second = subprocess.run(
            [sys.executable, "-m", "stack"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert second.returncode != 0
        assert "already running" in second.stderr

        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=90) == 0
        deadline = time.monotonic() + 10
        while processes_using(run_dir) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_using(run_dir) == []
        assert (run_dir / "store").is_dir() and (run_dir / "rabbitmq" / "mnesia").is_dir()  # data is kept
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
