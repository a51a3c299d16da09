"""Worker processes that run the sandbox's unbounded code (scripts, loops, calls that can
build large values), so that a time-out can always be enforced by killing the process.

The approval service runs on eventlet: the worker is reached over a socket pair, which is
green once eventlet has patched `socket`, so a greenthread waiting for a worker lets every
other case go on. A worker that overruns its time is killed and replaced; one that ran out of
memory retires itself after answering. A worker gets none of the service's environment
(addresses, credentials): only what Python needs to find the platform's modules. Messages are length-prefixed pickles; what comes back
from a worker is unpickled with an allow-list of the plain data types task data may hold.
"""

import io
import pickle
import socket
import struct
import subprocess
import sys
from pathlib import Path

from services.common.config import load_settings

MAX_MESSAGE_BYTES = 32 * 1024 * 1024
START_TIMEOUT_SECONDS = 30.0
IDLE_WORKERS = 2
_HEADER = struct.Struct("!I")
_REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
# The settings a worker's working-day functions read (the hall's calendar), passed on; nothing
# else of the service's environment reaches a worker.
_PASSED_ON = ("HALL_CALENDAR_FILE",)

# Classes a worker's answer may name: the data types of task data, nothing callable.
_ANSWER_CLASSES = (
    {("builtins", name) for name in ("set", "frozenset", "complex", "bytearray", "range", "slice")}
    | {("datetime", name) for name in ("date", "datetime", "time", "timedelta", "timezone")}
    | {
        ("decimal", "Decimal"),
        ("zoneinfo", "ZoneInfo._unpickle"),
        ("copyreg", "_reconstructor"),
    }
)


class WorkerTimedOut(Exception):
    """The worker did not answer within the time limit; it has been killed."""


class WorkerFailed(Exception):
    """The worker died or answered with something that is not an answer."""


class _AnswerUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ANSWER_CLASSES:
            raise pickle.UnpicklingError(f"{module}.{name} is not task data")
        return super().find_class(module, name)


def send(sock, message):
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def receive(sock, unpickler=pickle.Unpickler):
    """One message, or EOFError when the other side has gone."""
    (length,) = _HEADER.unpack(_read_exactly(sock, _HEADER.size))
    if length > MAX_MESSAGE_BYTES:
        raise WorkerFailed(f"an answer of {length} bytes is larger than {MAX_MESSAGE_BYTES}")
    return unpickler(io.BytesIO(_read_exactly(sock, length))).load()


def _read_exactly(sock, size):
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("the worker closed its socket")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _Worker:
    def __init__(self):
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.approval.sandbox_worker", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            cwd=_REPOSITORY_ROOT,
            stdin=subprocess.DEVNULL,
            env={
                "LANG": "C.UTF-8",
                "PYTHONPATH": str(_REPOSITORY_ROOT),
                **{name: str(value) for name, value in load_settings().items() if name in _PASSED_ON},
            },
        )
        theirs.close()
        self.sock = ours
        self.ready = False

    def ask(self, job, timeout):
        """Send one job, wait at most ``timeout`` seconds (after the worker's start) for its answer."""
        try:
            if not self.ready:
                self.sock.settimeout(START_TIMEOUT_SECONDS)
                receive(self.sock)  # the worker says it is ready once its imports are done
                self.ready = True
            self.sock.settimeout(timeout)
            send(self.sock, job)
            return receive(self.sock, _AnswerUnpickler)
        except TimeoutError:
            self.stop()
            raise WorkerTimedOut() from None
        except (EOFError, OSError, pickle.UnpicklingError, struct.error) as error:
            self.stop()
            raise WorkerFailed(str(error) or type(error).__name__) from None

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        self.sock.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class WorkerPool:
    """Hands each job to an idle worker, or to a new one when all are busy (one per
    concurrent call: the service's own worker count bounds them); keeps a few idle ones."""

    def __init__(self, idle=IDLE_WORKERS):
        self._idle = []
        self._keep = idle

    def run(self, job, timeout):
        """The worker's answer to ``job``; raises WorkerTimedOut or WorkerFailed."""
        worker = self._idle.pop() if self._idle else _Worker()
        try:
            answer = worker.ask(job, timeout)
        except WorkerTimedOut:
            self._idle.append(_Worker())  # starts now, so that the next call finds it ready
            raise
        except BaseException:
            worker.stop()
            raise
        if answer.get("retire") or len(self._idle) >= self._keep or not worker.alive():
            worker.stop()
        else:
            self._idle.append(worker)
        return answer

    def close(self):
        while self._idle:
            self._idle.pop().stop()
