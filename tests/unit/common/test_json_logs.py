"""Service log lines: JSON, with the request id; a caller's broken rule is one quiet line."""

import io
import json
import logging

import pytest

from services.common import json_logs
from services.common.errors import Conflict


@pytest.fixture
def lines():
    """What a handler set up like ``json_logs.configure``'s writes, as parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_logs.JsonFormatter(lambda: "req-7", service="queue"))
    handler.addFilter(json_logs.refusal_without_traceback)
    logger = logging.getLogger("nameko.containers")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def raised(exc):
    try:
        raise exc
    except Exception as caught:
        return caught


def test_an_expected_error_is_one_info_line_without_traceback(lines):
    exc = raised(Conflict("window 3 is closed"))
    logging.getLogger("nameko.containers").warning(
        "(expected) error handling worker %s: %s", "queue.call_next", exc, exc_info=(Conflict, exc, exc.__traceback__)
    )

    [line] = lines()
    assert (line["level"], line["service"], line["request_id"]) == ("INFO", "queue", "req-7")
    assert "window 3 is closed" in line["message"] and "exception" not in line


def test_an_unexpected_error_keeps_its_level_and_traceback(lines):
    exc = raised(KeyError("current_ticket"))
    logging.getLogger("nameko.containers").error(
        "error handling worker %s: %s", "queue.call_next", exc, exc_info=(KeyError, exc, exc.__traceback__)
    )

    [line] = lines()
    assert line["level"] == "ERROR" and "KeyError" in line["exception"]
