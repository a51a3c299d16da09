"""The embedded MongoDB-wire server (NX-27017, SQLite underneath) for `make up` and tests.

Chosen by measurement: see docs/decisions/0001-embedded-document-store.md.
Production runs a real MongoDB replica set instead (docker-compose.yml, k8s/).

The server refuses to start while its pid file (``nx.pid``) names a live process. A store
that was killed leaves the file behind, and the number in it may belong to another process
by then: ``start()`` removes a pid file that does not name this store's server.
"""

import subprocess
import sys
from pathlib import Path

from .ports import LOOPBACK, free_port, reachable_at, refuse_taken, wait_for_port


class DocumentStore:
    def __init__(self, data_dir, port=None, host=LOOPBACK):
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.host = host
        self.process = None

    @property
    def mongo_uri(self):
        return f"mongodb://{reachable_at(self.host)}:{self.port}/"

    @property
    def ports(self):
        return {"STORE_PORT": self.port}

    @property
    def pid_file(self):
        return self.data_dir / "nx.pid"

    def _remove_stale_pid_file(self):
        try:
            pid = int(self.pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, ValueError, IndexError):
            cmdline, state = b"", "gone"
        if b"stack.nx_server" not in cmdline or str(self.data_dir).encode() not in cmdline or state == "Z":
            self.pid_file.unlink(missing_ok=True)

    def start(self, timeout=30):
        refuse_taken(self.ports)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._remove_stale_pid_file()
        log = open(self.data_dir / "server.log", "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stack.nx_server",
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                "--log-file",
                str(self.data_dir / "nx.log"),
                "--pid-file",
                str(self.pid_file),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=Path(__file__).resolve().parent.parent,  # where `stack` is, installed or not
        )
        log.close()
        wait_for_port(self.port, timeout, "the document store", self.process)
        return self

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
