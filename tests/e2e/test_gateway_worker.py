"""The gateway's worker as ``make up`` runs it (gateway/gunicorn_settings.py): its heartbeat
file, touched on every turn of its loop, is in memory, not on the disk."""
import os
from pathlib import Path


def children(pid):
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


def test_the_workers_heartbeat_file_is_in_memory(platform):
    [worker] = children(platform.processes["gateway"].pid)
    targets = [os.readlink(fd) for fd in Path(f"/proc/{worker}/fd").iterdir()]
    heartbeats = [target for target in targets if "gunicorn" in target and target.endswith("(deleted)")]
    assert heartbeats and all(target.startswith("/dev/shm/") for target in heartbeats), targets
