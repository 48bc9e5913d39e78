"""Logs are JSON and never carry the bot token or the webhook secret, even inside errors."""

from __future__ import annotations

import json
import logging

from polku.logs import JsonFormatter

TOKEN = "123456:AAE-very-secret-token"


def test_a_token_inside_an_exception_url_is_redacted():
    formatter = JsonFormatter([TOKEN, ""])
    try:
        raise ConnectionError(f"POST https://api.telegram.org/bot{TOKEN}/getUpdates failed")
    except ConnectionError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "request to %s failed", (f"bot{TOKEN}",), None
        )
        import sys

        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert TOKEN not in line
    entry = json.loads(line)
    assert entry["event"] == "request to bot[redacted] failed"
    assert "[redacted]/getUpdates" in entry["exception"]


def test_extra_fields_become_json_fields():
    record = logging.makeLogRecord({"msg": "handler failed", "levelname": "ERROR", "update_id": 7})
    entry = json.loads(JsonFormatter([]).format(record))
    assert entry["update_id"] == 7 and entry["level"] == "error"
