"""Runs the embedded store, NX-27017, in its threaded mode: one thread per client connection
answers that connection's commands itself, where the default (asyncio) mode hands every
command from its event loop to a worker thread and back. Measured on the queue's call, the
threaded mode's commands cost about a quarter less (bench/README.md). Its one drawback, an
INFO line for every command answered, is dropped here before a log record is built for it:
a filter on the logger would see it only after the record was made, which cost the store
7-10 % of its CPU.

Its threads take turns on one interpreter lock, and Python lets a thread that waits for it
wait up to its switch interval (5 ms by default) while another thread computes. A window's
short command arriving while a long one runs (a count or an aggregation the store runs in
Python) then waited 5 ms slices; at 0.5 ms the two interleave, and the short one is answered
nearly as if it were alone.

Each database is a SQLite file in write-ahead-log mode, and SQLite copies the log back into
the file (a checkpoint, with an fsync) inside the commit that fills the log to 1,000 pages: a
7 ms pause, every few seconds while 53 windows call, with the database's lock held, so every
command on it waited (measured: the store's slowest commands came exactly every 1,000 pages).
``WalCheckpointer`` checkpoints every file from a thread of its own, on its own connections,
which SQLite runs beside the store's readers and writers; the log never fills, and the
commits never pause for it.

    python -m stack.nx_server --host 127.0.0.1 --port 27017 --data-dir DIR ...
"""

import argparse
import logging
import sqlite3
import sys
import threading
import time
from pathlib import Path

import nx_27017.server
from nx_27017.nx_27017 import main

from services.common.collector import freeze_start_up_objects

log = logging.getLogger(__name__)

PER_COMMAND_LINE = "Command response"
SWITCH_INTERVAL_SECONDS = 0.0005
CHECKPOINT_INTERVAL_SECONDS = 0.25


class WithoutPerCommandLines(logging.LoggerAdapter):
    """The store's logger minus its per-command INFO line (NX-27017 0.8.1 logs it through the
    module global ``nx_27017.server.logger``); every other line goes through unchanged."""

    def info(self, msg, *args, **kwargs):
        if not (isinstance(msg, str) and msg.startswith(PER_COMMAND_LINE)):
            self.logger.info(msg, *args, **kwargs)


def drop_per_command_lines(server_module):
    if not isinstance(server_module.logger, WithoutPerCommandLines):
        server_module.logger = WithoutPerCommandLines(server_module.logger, {})


class WalCheckpointer(threading.Thread):
    """Checkpoints the write-ahead log of every database file in ``data_dir`` (``*.db``, one
    per database) every ``interval`` seconds, passively: it never waits for, nor blocks, the
    store's own connections.

    Each look opens the file, checkpoints and closes it again. A connection kept open between
    looks outlived a dropped database: NX-27017 drops one by closing its own connection and
    unlinking the file, and SQLite deletes a file's log only when its last connection closes,
    so the old log stayed, and a database made again under the same name read the old one's
    pages from it ("database disk image is malformed"). A connection lives a few hundred
    microseconds now; a drop and a re-creation inside that moment is what is left."""

    def __init__(self, data_dir, interval=CHECKPOINT_INTERVAL_SECONDS):
        super().__init__(name="wal-checkpoints", daemon=True)
        self.data_dir, self.interval = Path(data_dir), interval
        self._seen = {}  # path -> its log's (size, mtime) at the last checkpoint: unchanged, no look

    def run(self):
        while True:
            self.checkpoint_all()
            time.sleep(self.interval)

    def checkpoint_all(self):
        seen, self._seen = self._seen, {}
        for path in self.data_dir.glob("*.db"):
            try:
                log_file = path.with_name(path.name + "-wal").stat()
            except OSError:
                continue  # no log: nothing to copy back
            self._seen[path] = (log_file.st_size, log_file.st_mtime_ns)
            if seen.get(path) == self._seen[path]:
                continue  # nothing written since the last look
            try:  # mode=rw: never create a file the store removed
                connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
            except sqlite3.Error:
                continue  # dropped meanwhile
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:
                log.warning("checkpoint of %s skipped: %s", path.name, exc)
            finally:
                connection.close()


def data_dir(argv):
    """The ``--data-dir`` among the store's arguments, or None (one file for all databases)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data-dir")
    return parser.parse_known_args(argv)[0].data_dir


if __name__ == "__main__":
    drop_per_command_lines(nx_27017.server)
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    sys.argv[1:] = [*sys.argv[1:], "--threaded"]
    freeze_start_up_objects()
    databases = data_dir(sys.argv[1:])
    if databases:
        WalCheckpointer(databases).start()
    main()
