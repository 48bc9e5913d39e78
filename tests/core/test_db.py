"""The database layer: URL forms, aware UTC times, and the one migration matching the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel

from core.db import make_engine, normalise_url, transaction
from core.models import Youth
from polku.migrations import upgrade_to_head


def test_postgresql_url_gets_the_psycopg_driver():
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u:p@h:5/db") == "postgresql+psycopg://u:p@h:5/db"
    assert normalise_url("sqlite:///var/polku.db") == "sqlite:///var/polku.db"


def test_times_come_back_aware_and_in_utc(engine):
    helsinki = timezone(timedelta(hours=2))
    seen = datetime(2026, 3, 29, 3, 30, tzinfo=helsinki)
    with transaction(engine) as session:
        youth = Youth(telegram_user_id=1, chat_id=1, last_seen_at=seen)
        session.add(youth)
    with Session(engine) as session:
        stored = session.get(Youth, youth.id)
        assert stored.last_seen_at == seen
        assert stored.last_seen_at.tzinfo is not None
        assert stored.last_seen_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused(engine):
    with pytest.raises(Exception, match="naive"), transaction(engine) as session:
        session.add(Youth(telegram_user_id=2, chat_id=2, last_seen_at=datetime(2026, 1, 1)))


def test_the_migration_builds_exactly_the_models(database_url):
    """One migration from empty to head gives the schema the models describe."""
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert differences == []
    assert {"youth", "coach", "message", "invitecode", "auditevent"} <= tables
    upgrade_to_head(database_url)  # running it again changes nothing and does not fail


def test_utc_is_what_now_gives():
    from core.models import utcnow

    assert utcnow().tzinfo == UTC
