"""Structured log lines: one JSON object per line, with the request id of what is being
handled, for every service (``services.common.runner``) and for the gateway."""

import json
import logging
from datetime import datetime, timezone


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id"?, "exception"?}`` plus ``fields``;
    ``request_id`` is a function answering the current request's id (or None)."""

    def __init__(self, request_id, **fields):
        super().__init__()
        self.request_id, self.fields = request_id, fields

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            **self.fields,
            "message": record.getMessage(),
        }
        request_id = self.request_id()
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def refusal_without_traceback(record):
    """nameko logs each expected error (a caller broke a rule: InvalidInput, Conflict…) as a
    WARNING with its traceback. The caller got a 4xx; the service is fine: one INFO line."""
    if record.name == "nameko.containers" and str(record.msg).startswith("(expected)"):
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.INFO, "INFO"
    return True


# Libraries whose INFO lines are per-operation chatter, kept at WARNING. SpiffWorkflow logs a
# line for every task state change ("State changed to READY", several per step): about a tenth
# of the approval service's CPU per completion went to building and writing them, and the
# hall's own record of a step is its audit entries, not these lines.
QUIET_LOGGERS = {"spiff": logging.WARNING}


def configure(request_id, **fields):
    """JSON lines on stderr at INFO, unless the process has configured logging already."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(request_id, **fields))
    handler.addFilter(refusal_without_traceback)
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
