"""The gateway's worker as ``make up`` runs it (gateway/gunicorn_settings.py): its heartbeat
file, touched on every turn of its loop, is in memory, not on the disk; the requests gunicorn
cannot read itself are answered with a problem+json like every other error."""

import json
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests


def children(pid):
    return [
        int(child) for task in Path(f"/proc/{pid}/task").iterdir() for child in (task / "children").read_text().split()
    ]


def test_the_workers_heartbeat_file_is_in_memory(platform):
    [worker] = children(platform.processes["gateway"].pid)
    targets = [os.readlink(fd) for fd in Path(f"/proc/{worker}/fd").iterdir()]
    heartbeats = [target for target in targets if "gunicorn" in target and target.endswith("(deleted)")]
    assert heartbeats and all(target.startswith("/dev/shm/") for target in heartbeats), targets


def send_raw(url, request):
    """Send ``request`` bytes as they are; the status, headers and body of the answer (the
    server closes the connection after it)."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split(" ")[1]), headers, body


MANY_HEADERS = "".join(f"X-Header-{n}: {n}\r\n" for n in range(150))


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nHost: hall\r\nBad Header: x\r\n\r\n", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: hall\r\n\r\n", 414),
        (f"GET /healthz HTTP/1.1\r\nHost: hall\r\n{MANY_HEADERS}\r\n".encode(), 431),
    ],
    ids=["bad request line", "bad header name", "too long URI", "too many headers"],
)
def test_a_request_gunicorn_cannot_read_is_answered_with_a_problem(platform, request_bytes, status):
    answered, headers, body = send_raw(platform.gateway_url, request_bytes)

    assert answered == status
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == status and problem["detail"].startswith("the request could not be read")


def test_a_body_over_the_limit_is_refused_even_when_sent_in_chunks(platform):
    """Without a Content-Length the gateway counts what it reads and stops at 4 MiB."""
    chunks = (b'{"form": {"essay": "' if n == 0 else b"x" * 65536 for n in range(80))  # 5 MiB, never closed
    answer = requests.post(
        f"{platform.gateway_url}/api/v1/cases", data=chunks, headers={"Content-Type": "application/json"}, timeout=30
    )

    assert answer.status_code == 413 and answer.headers["Content-Type"] == "application/problem+json", answer.text
    small = requests.post(
        f"{platform.gateway_url}/api/v1/cases",
        data=iter([b'{"item_code": ', b'"MR-001"}']),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert small.status_code == 422  # read whole and parsed: only the schema's fields are missing


def test_a_body_nested_a_hundred_thousand_deep_is_a_400_problem(platform):
    answer = requests.post(
        f"{platform.gateway_url}/api/v1/cases",
        data="[" * 100_000 + "]" * 100_000,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )

    assert answer.status_code == 400 and answer.headers["Content-Type"] == "application/problem+json"
