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
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, **self.fields, "message": record.getMessage()}
        request_id = self.request_id()
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(request_id, **fields):
    """JSON lines on stderr at INFO, unless the process has configured logging already."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(request_id, **fields))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
