"""gunicorn's thread worker, answering the requests it cannot read itself (a malformed request
line, a URI or header block over gunicorn's limits, a bad chunk) with a problem+json like every
other error of the gateway, instead of gunicorn's HTML page. gunicorn still chooses the status
and logs the request; only the body it writes is replaced."""

import json

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from gateway.problems import problem_body


class _Capture:
    """The client's socket, except that what gunicorn sends is kept instead of sent."""

    def __init__(self, sock):
        self._sock, self.sent = sock, b""

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def sendall(self, data):
        self.sent += data


def problem_answer(status, reason, detail):
    """The whole HTTP answer (the connection closes, as gunicorn's own does)."""
    body = json.dumps(problem_body(status, reason, detail), ensure_ascii=False).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class ProblemWorker(ThreadWorker):
    def handle_error(self, req, client, addr, exc):
        page = _Capture(client)
        super().handle_error(req, page, addr, exc)
        if not page.sent:  # gunicorn could not write either
            return
        _, status, reason = page.sent.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        detail = (
            f"the request could not be read: {exc}" if int(status) < 500 else "the gateway failed; the error was logged"
        )
        try:
            util.write_nonblock(client, problem_answer(int(status), reason, detail))
        except OSError:
            self.log.debug("Failed to send the problem answer.")
