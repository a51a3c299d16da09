"""Free loopback ports, refusing a taken one, and waiting for a port to answer."""

import os
import random
import socket
import time

LOOPBACK = "127.0.0.1"


def reachable_at(host):
    """The address to connect to a server listening on ``host`` (all interfaces: loopback)."""
    return LOOPBACK if host == "0.0.0.0" else host


class PortTaken(RuntimeError):
    """A port the platform is to listen on answers already: another program holds it."""

    def __init__(self, port, setting):
        super().__init__(f"port {port} is taken by another program; stop it or choose another port: {setting}")
        self.port, self.setting = port, setting


def refuse_taken(ports):
    """Raise ``PortTaken`` for the first of ``{setting: port}`` that something listens on."""
    for setting, port in ports.items():
        if port_is_open(port):
            raise PortTaken(port, setting)


def _port_range():
    """The ports this process hands out: ``HALL_FREE_PORTS`` ("first-last"), by default
    20000-32000, below the kernel's ephemeral range (32768 and up), where an outgoing
    connection could take a port between our check and the server's listen."""
    first, last = os.environ.get("HALL_FREE_PORTS", "20000-32000").split("-")
    return int(first), int(last)


_cursor = None


def _candidates(count):
    """Bases of ``count`` consecutive ports, walking the range from where this process last
    stopped (a random place at first), so one process never hands out a port twice and two
    processes sharing the range seldom meet; `make test`'s two halves get disjoint ranges."""
    global _cursor
    first, last = _port_range()
    span = last - first - count
    if _cursor is None:
        _cursor = random.randrange(span)
    for _ in range(span):
        base = first + _cursor
        _cursor = (_cursor + count) % span
        yield base


def _bindable(port):
    with socket.socket() as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def free_port():
    """A loopback TCP port nobody listens on or holds right now."""
    return free_port_range(1)


def free_port_range(count):
    """The first of ``count`` consecutive ports nobody listens on or holds right now."""
    for base in _candidates(count):
        if all(_bindable(port) for port in range(base, base + count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports in HALL_FREE_PORTS={_port_range()}")


def port_is_open(port, host=LOOPBACK):
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port, timeout, what, process=None, host=LOOPBACK):
    """Block until something accepts connections on ``host``:``port``; fail clearly otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_is_open(port, host):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before listening on port {port}")
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")
