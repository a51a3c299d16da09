"""Runs the embedded store, NX-27017, in its threaded mode: one thread per client connection
answers that connection's commands itself, where the default (asyncio) mode hands every
command from its event loop to a worker thread and back. Measured on the queue's call, the
threaded mode's commands cost about a quarter less (bench/README.md). Its one drawback, an
INFO line for every command answered, is filtered out here.

Its threads take turns on one interpreter lock, and Python lets a thread that waits for it
wait up to its switch interval (5 ms by default) while another thread computes. A window's
short command arriving while a long one runs (a count or an aggregation the store runs in
Python) then waited 5 ms slices; at 0.5 ms the two interleave, and the short one is answered
nearly as if it were alone.

    python -m stack.nx_server --host 127.0.0.1 --port 27017 --data-dir DIR ...
"""
import logging
import sys

from nx_27017.nx_27017 import main

PER_COMMAND_LINE = "Command response"
SWITCH_INTERVAL_SECONDS = 0.0005


def quiet_per_command_lines(record):
    return not record.getMessage().startswith(PER_COMMAND_LINE)


if __name__ == "__main__":
    logging.getLogger("nx_27017").addFilter(quiet_per_command_lines)
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    sys.argv[1:] = [*sys.argv[1:], "--threaded"]
    main()
