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


@pytest.fixture
def configured():
    """``json_logs.configure`` as a service runs it, undone afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in json_logs.QUIET_LOGGERS}
    json_logs.configure(lambda: None, service="approval")
    yield
    root.handlers[:], root.level = handlers, level
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


def test_the_engine_writes_no_line_per_task_state_change(configured, caplog):
    from pathlib import Path

    from services.approval import bpmn_engine

    path = Path(__file__).resolve().parents[3] / "bpmn" / "immediate_item.bpmn"
    caplog.set_level(logging.INFO)
    workflow = bpmn_engine.start(bpmn_engine.parse_diagram(path.read_bytes(), path.name), {"case_no": "JB1"})
    [task] = bpmn_engine.open_user_tasks(workflow)
    bpmn_engine.complete_task(workflow, task["id"], {"intake_decision": "accept"})
    logging.getLogger("spiff.task").warning("a task failed")

    spiff = [(record.name, record.levelname) for record in caplog.records if record.name.startswith("spiff")]
    assert spiff == [("spiff.task", "WARNING")]
