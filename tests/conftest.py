"""Fixtures shared by every test: a fresh database per test, on SQLite and on PostgreSQL.

PostgreSQL runs when TEST_DATABASE_URL is set (CI sets it); each test gets its own schema.
With POLKU_REQUIRE_POSTGRES=1 (CI) a missing PostgreSQL is an error, not a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import core.models  # noqa: F401  (registers the tables)
from core.db import make_engine
from tests.serving import Served, serving

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
REQUIRE_POSTGRES = os.environ.get("POLKU_REQUIRE_POSTGRES") == "1"

if REQUIRE_POSTGRES and not TEST_DATABASE_URL:
    raise RuntimeError("POLKU_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")

DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A URL of an empty database of each kind; PostgreSQL gets a schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'polku.db'}"
        return
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests run in CI")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(TEST_DATABASE_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    try:
        yield f"{TEST_DATABASE_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database with every table created."""
    engine = make_engine(database_url)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    """`polku serve` without a token (the sandbox), migrated, in an empty folder."""
    with serving(tmp_path, database_url) as running:
        yield running


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the crisis-detection figures measured by tests/core/test_crisis.py."""
    from tests.core.test_crisis import FIGURES, TIER_FIGURES

    write = terminalreporter.write_line
    if TIER_FIGURES:
        terminalreporter.section("crisis wording in tiers (lists + model): v2 corpora")
        write(
            f"{'corpus':<17} {'lang':<4} {'T1 self-harm':>14} {'T1 abuse':>14} "
            f"{'T1 false alarms':>16} {'T1+2 recall':>14} {'T2 on negatives':>16}"
        )
        for t in TIER_FIGURES:
            cells = [
                f"{a / b:6.1%} ({a}/{b})" if b else "–"
                for a, b in (t.self_harm, t.abuse, t.false_alarms, t.tier_12, t.tier_2_on_negatives)
            ]
            write(
                f"{t.corpus:<17} {t.language:<4} {cells[0]:>14} {cells[1]:>14} "
                f"{cells[2]:>16} {cells[3]:>14} {cells[4]:>16}"
            )
    if not FIGURES:
        return
    terminalreporter.section("crisis wording: recall and false alarms")
    write(f"{'corpus':<12} {'lang':<4} {'recall':>16} {'false alarms':>16}")
    for f in FIGURES:
        recall = f"{f.recall:6.1%} ({f.caught}/{f.positives})"
        alarms = f"{f.false_alarm_rate:6.1%} ({f.false_alarms}/{f.negatives})"
        write(f"{f.corpus:<12} {f.language:<4} {recall:>16} {alarms:>16}")
