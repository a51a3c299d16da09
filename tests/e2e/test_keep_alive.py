"""A window's browser keeps its connection between two presses of "call next": the gateway
does not close an idle connection after gunicorn's default 2 s (gateway/gunicorn_settings.py)."""

import http.client
import time
from urllib.parse import urlsplit


def test_an_idle_connection_is_still_open_seconds_later(platform):
    address = urlsplit(platform.gateway_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request("GET", "/healthz")
    first = connection.getresponse()
    first.read()
    assert first.status == 200
    assert first.getheader("Connection", "").lower() != "close"
    socket_before = connection.sock

    time.sleep(3)  # longer than gunicorn's default keep-alive

    connection.request("GET", "/healthz")
    second = connection.getresponse()
    second.read()
    assert second.status == 200
    assert connection.sock is socket_before  # the same connection, not a silent reconnect
    connection.close()
