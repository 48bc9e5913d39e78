"""Structured (JSON) logs that never carry message text or secrets."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from typing import Any

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged as a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def where_it_failed(exc_info: Any) -> str:
    """The traceback and the exception's type, without its message: messages can quote what
    a young person wrote (a value that failed to parse, a row that failed to store)."""
    kind, _value, trace = exc_info
    frames = "".join(traceback.format_tb(trace))
    return f"{frames}{kind.__module__}.{kind.__qualname__} (message left out)"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event and the `extra` fields.

    Any configured secret (the bot token, the webhook secret) is replaced in the finished line,
    so it cannot leak through a URL in an exception either.
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = where_it_failed(record.exc_info)
        line = json.dumps(entry, default=str, ensure_ascii=False)
        for secret in self.secrets:
            line = line.replace(secret, "[redacted]")
        return line


def configure_logging(*, secrets: list[str], level: int = logging.INFO) -> None:
    """Log JSON to stderr. httpx logs every request URL, which holds the token: keep it quiet."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
