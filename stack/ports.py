"""Free loopback ports, refusing a taken one, and waiting for a port to answer."""
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


def free_port():
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_open(port, host="127.0.0.1"):
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port, timeout, what, process=None):
    """Block until something accepts connections on ``port``; fail clearly otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_is_open(port):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before listening on port {port}")
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def free_port_range(count, first=20000, last=30000):
    """The first of ``count`` consecutive ports nobody listens on, below the kernel's
    ephemeral range (so outgoing connections do not take them meanwhile)."""
    for base in range(first, last - count):
        if not any(port_is_open(port) for port in range(base, base + count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports between {first} and {last}")
