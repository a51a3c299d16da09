"""The embedded MongoDB-wire server (NX-27017, SQLite underneath) for `make up` and tests.

Chosen by measurement: see docs/decisions/0001-embedded-document-store.md.
Production runs a real MongoDB replica set instead (docker-compose.yml, k8s/).
"""
import subprocess
import sys
from pathlib import Path

from .ports import free_port, port_is_open, wait_for_port


class DocumentStore:
    def __init__(self, data_dir, port=None):
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.process = None

    @property
    def mongo_uri(self):
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self, timeout=30):
        if port_is_open(self.port):
            raise RuntimeError(f"port {self.port} is taken: choose another STORE_PORT")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "server.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stack.nx_server", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.data_dir), "--log-file", str(self.data_dir / "nx.log"),
             "--pid-file", str(self.data_dir / "nx.pid")],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
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
