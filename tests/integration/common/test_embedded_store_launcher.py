"""The embedded store's launcher (stack/nx_server.py): write-ahead logs checkpointed beside the
store, start-up objects frozen, threaded mode, before the store serves."""

import gc
import inspect
import logging
import re
import runpy
import sqlite3
import sys
import threading

import nx_27017.nx_27017
import nx_27017.server
import pytest

from stack.nx_server import WalCheckpointer, data_dir

PAGE = 4096
ROWS, BATCHES = 50, 40  # 2,000 rows of a page each: twice the log SQLite checkpoints itself at


def writer(path):
    """A connection as the store holds one, with SQLite's own checkpoint turned off, so only
    the checkpointer under test empties the log."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute("CREATE TABLE IF NOT EXISTS documents (id INTEGER PRIMARY KEY, body BLOB)")
    return connection


def write_batches(connection, between=lambda: None):
    for batch in range(BATCHES):
        connection.execute("BEGIN")
        for row in range(ROWS):
            connection.execute("INSERT INTO documents (body) VALUES (?)", (bytes(PAGE),))
        connection.execute("COMMIT")
        between()


def log_size(path):
    return path.with_name(path.name + "-wal").stat().st_size


def test_without_checkpoints_the_log_grows_with_every_write(tmp_path):
    path = tmp_path / "queue.db"
    write_batches(writer(path))
    assert log_size(path) > ROWS * BATCHES * PAGE


def test_the_checkpointer_keeps_the_log_short_beside_a_writer(tmp_path):
    path = tmp_path / "queue.db"
    connection, checkpointer = writer(path), WalCheckpointer(tmp_path)
    write_batches(connection, between=checkpointer.checkpoint_all)
    assert log_size(path) < 4 * ROWS * PAGE  # restarted after each checkpoint, not 40 batches long
    assert connection.execute("SELECT count(*) FROM documents").fetchone() == (ROWS * BATCHES,)
    assert sqlite3.connect(path).execute("SELECT count(*) FROM documents").fetchone() == (ROWS * BATCHES,)


def test_a_dropped_database_is_let_go_and_never_made_again(tmp_path):
    path = tmp_path / "old.db"
    write_batches(writer(path))
    checkpointer = WalCheckpointer(tmp_path)
    checkpointer.checkpoint_all()
    for leftover in tmp_path.glob("old.db*"):
        leftover.unlink()
    checkpointer.checkpoint_all()
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_database_is_reported_and_the_others_checkpointed(tmp_path, caplog):
    (tmp_path / "broken.db").write_bytes(b"not a database at all, " * 200)
    (tmp_path / "broken.db-wal").write_bytes(b"nor a log, " * 200)  # a file without a log is not looked at
    path = tmp_path / "queue.db"
    connection, checkpointer = writer(path), WalCheckpointer(tmp_path)
    with caplog.at_level(logging.WARNING, logger="stack.nx_server"):
        write_batches(connection, between=checkpointer.checkpoint_all)
    assert "checkpoint of broken.db skipped" in caplog.text
    assert log_size(path) < 4 * ROWS * PAGE


def test_the_data_directory_is_read_from_the_stores_arguments():
    assert data_dir(["--host", "127.0.0.1", "--data-dir", "/srv/store", "--port", "1"]) == "/srv/store"
    assert data_dir(["--port", "1"]) is None


@pytest.fixture
def launched(monkeypatch, tmp_path):
    """Runs the launcher as ``python -m stack.nx_server`` does, up to the store's own ``main``."""
    seen = {"started": []}

    def main():
        seen["frozen"], seen["argv"] = gc.get_freeze_count(), list(sys.argv)

    monkeypatch.setattr(nx_27017.nx_27017, "main", main)
    monkeypatch.setattr(threading.Thread, "start", lambda thread: seen["started"].append(thread))
    switch = sys.getswitchinterval()
    monkeypatch.setattr(nx_27017.server, "logger", nx_27017.server.logger)  # put back afterwards
    gc.unfreeze()

    def launch(*argv):
        monkeypatch.setattr(sys, "argv", ["nx_server", *argv])
        monkeypatch.delitem(sys.modules, "stack.nx_server")  # run afresh, as `python -m` does
        try:
            runpy.run_module("stack.nx_server", run_name="__main__")
        finally:
            sys.setswitchinterval(switch)
            gc.unfreeze()
        return seen

    return launch


def test_the_launcher_freezes_starts_the_checkpointer_and_runs_threaded(launched, tmp_path):
    seen = launched("--port", "1", "--data-dir", str(tmp_path))
    assert seen["argv"][1:] == ["--port", "1", "--data-dir", str(tmp_path), "--threaded"]
    assert seen["frozen"] > 0
    [checkpointer] = seen["started"]
    assert checkpointer.name == "wal-checkpoints" and checkpointer.data_dir == tmp_path


def test_one_file_for_all_databases_has_no_checkpointer(launched):
    assert launched("--port", "1")["started"] == []


def test_the_per_command_line_is_dropped_before_a_log_record_is_built(launched, monkeypatch):
    launched("--port", "1")
    built, make_record = [], logging.getLogRecordFactory()

    def counting_factory(*args, **kwargs):
        record = make_record(*args, **kwargs)
        built.append(record.getMessage())
        return record

    monkeypatch.setattr(logging, "_logRecordFactory", counting_factory)
    store_logger = nx_27017.server.logger
    store_logger.logger.setLevel(logging.INFO)
    try:
        store_logger.info("Command response: response_keys=['ok']")
        store_logger.info("Listening on 127.0.0.1:1 (threaded mode)")
        store_logger.warning("Invalid message length: 3")
    finally:
        store_logger.logger.setLevel(logging.NOTSET)
    assert built == ["Listening on 127.0.0.1:1 (threaded mode)", "Invalid message length: 3"]


def test_the_store_logs_through_the_module_global_the_launcher_replaces():
    """Pins the NX-27017 hook the launcher relies on: the threaded server's per-command line
    goes through ``nx_27017.server.logger``; a release that moves it fails here, loudly."""
    source = inspect.getsource(nx_27017.server)
    assert isinstance(nx_27017.server.logger, (logging.Logger, logging.LoggerAdapter))
    assert re.search(r'\blogger\.info\(\s*f"Command response:', source)


def test_a_database_dropped_and_made_again_under_the_same_name_stays_sound(tmp_path):
    """The store drops a database by closing its connection and unlinking the file (NX-27017
    0.8.1 leaves the log beside it); a checkpointer still holding the old file open kept that
    log alive, and the new file under the same name read the old one's pages from it."""
    path = tmp_path / "hall_intake.db"
    old = writer(path)
    write_batches(old)
    checkpointer = WalCheckpointer(tmp_path)
    checkpointer.checkpoint_all()
    write_batches(old)  # more of the old database in the log, after the checkpoint
    old.close()
    path.unlink()  # the store's drop
    new = writer(path)
    new.execute("INSERT INTO documents (body) VALUES (?)", (b"new",))
    checkpointer.checkpoint_all()
    new.close()
    checkpointer.checkpoint_all()

    reader = sqlite3.connect(path)
    assert reader.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert reader.execute("SELECT body FROM documents").fetchall() == [(b"new",)]
