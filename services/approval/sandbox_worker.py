"""The sandbox's worker process: runs one job at a time under operating-system limits.

Started by `sandbox_pool` as ``python -m services.approval.sandbox_worker FD``. Before the
first job it caps its address space (`MEMORY_LIMIT_BYTES` above what its imports use), may not
write files or start processes, and before each job gets a CPU-time allowance (the kernel
ends it past that, should its parent's wall-clock kill not come first).
"""

import pickle
import resource
import socket
import sys
from datetime import timedelta

from services.approval import sandbox
from services.approval.sandbox_pool import receive, send
from services.common.time import set_clock_offset

MEMORY_LIMIT_BYTES = 64 * 1024 * 1024
CPU_SECONDS_PER_JOB = 2


def _limit_resources():
    with open("/proc/self/statm") as statm:
        in_use = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (in_use + MEMORY_LIMIT_BYTES,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))


def _allow_cpu_for_one_job():
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    resource.setrlimit(resource.RLIMIT_CPU, (spent + CPU_SECONDS_PER_JOB, hard))


def answer(job):
    """Run ``job`` (see `sandbox.run_in_worker`) and say what came of it."""
    set_clock_offset(timedelta(seconds=job["clock_offset"]))
    what = sandbox.WHAT[job["mode"]]
    try:
        return {"value": sandbox.run_in_worker(job)}
    except MemoryError:
        limit = MEMORY_LIMIT_BYTES // (1024 * 1024)
        return {"error": ("SandboxViolation", f"the {what} needed more than {limit} MB"), "retire": True}
    except RecursionError:
        return {"error": ("SandboxViolation", f"the {what} nests too deeply"), "retire": True}
    except Exception as error:  # noqa: BLE001 -- every failure is reported to the caller
        return {"error": (type(error).__name__, str(error)[:1000])}


def main(fd):
    sock = socket.socket(fileno=fd)
    sock.setblocking(True)  # the parent's end may be green (non-blocking); this one waits
    _limit_resources()
    send(sock, {"ready": True})
    while True:
        try:
            job = receive(sock)
        except EOFError:
            return
        _allow_cpu_for_one_job()
        reply = answer(job)
        try:
            send(sock, reply)
        except (MemoryError, TypeError, ValueError, AttributeError, pickle.PicklingError) as error:
            send(sock, {"error": ("SandboxViolation", f"the result cannot be kept: {error}"), "retire": True})
        if reply.get("retire"):
            return


if __name__ == "__main__":
    main(int(sys.argv[1]))
