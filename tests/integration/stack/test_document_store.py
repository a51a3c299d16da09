"""The embedded store starts again after it was killed: the pid file it left behind is
removed when the number in it is not this store's server (a process that reused the pid,
or none), and kept when it is (then the store refuses to start twice)."""

import os
import signal

import pymongo
import pytest

from stack.store import DocumentStore


def answers(store):
    with pymongo.MongoClient(store.mongo_uri, serverSelectionTimeoutMS=5000) as client:
        return client.admin.command("ping")["ok"] == 1


def test_a_killed_store_starts_again_over_a_pid_file_naming_another_process(tmp_path):
    store = DocumentStore(tmp_path / "store").start()
    try:
        os.kill(store.process.pid, signal.SIGKILL)
        store.process.wait()
        store.pid_file.write_text(str(os.getpid()))  # the dead server's pid, now some other process's

        store.start()

        assert answers(store)
        assert int(store.pid_file.read_text()) == store.process.pid
    finally:
        store.stop()


def test_a_running_store_is_not_started_twice_on_the_same_data(tmp_path):
    running = DocumentStore(tmp_path / "store").start()
    try:
        with pytest.raises(RuntimeError):
            DocumentStore(tmp_path / "store").start(timeout=10)
        assert answers(running)
    finally:
        running.stop()
