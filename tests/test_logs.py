"""Logs are JSON and never carry the bot token or the webhook secret, even inside errors."""

from __future__ import annotations

import json
import logging
import sys

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
        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert TOKEN not in line
    entry = json.loads(line)
    assert entry["event"] == "request to bot[redacted] failed"
    assert entry["exception"].endswith("ConnectionError (message left out)")


def test_an_exception_quoting_what_a_young_person_wrote_is_logged_without_it():
    written = "ha" + "luan kuolla"  # kept out of this source line, as in real code
    try:
        int(written)
    except ValueError:
        record = logging.makeLogRecord({"msg": "handler failed", "exc_info": sys.exc_info()})
    line = JsonFormatter([]).format(record)
    assert "haluan kuolla" not in line
    assert "ValueError (message left out)" in line
    assert "test_logs.py" in line  # where it failed is still there


def test_sql_errors_do_not_print_the_values(engine):
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO nowhere VALUES (:v)"), {"v": "salainen viesti"})
    except SQLAlchemyError as error:
        assert "salainen viesti" not in str(error)


def test_extra_fields_become_json_fields():
    record = logging.makeLogRecord({"msg": "handler failed", "levelname": "ERROR", "update_id": 7})
    entry = json.loads(JsonFormatter([]).format(record))
    assert entry["update_id"] == 7 and entry["level"] == "error"
