"""Run the Alembic migrations that live in the repository's migrations/ folder.

`polku migrate` and `polku serve` (on start, unless POLKU_AUTO_MIGRATE is off) both go through
`upgrade_to_head`. On PostgreSQL it holds a session-level advisory lock, so processes starting
together take turns: the first upgrades, the others wait, find the schema at head and do nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError

from core.db import make_engine, normalise_url

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
# The pg_advisory_lock key of schema upgrades ("polku" in ASCII): fixed, so every process agrees.
MIGRATION_LOCK_KEY = 0x706F6C6B75


class DatabaseNotReady(Exception):
    """The database cannot be served as it is; the message is one line for the operator."""


def alembic_config(database_url: str) -> Config:
    """Alembic's config, pointed at our scripts and the given database."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    return config


@cache
def _scripts() -> tuple[frozenset[str], frozenset[str]]:
    """(the head revisions, every known revision) of the migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    scripts = ScriptDirectory.from_config(config)
    known = frozenset(script.revision for script in scripts.walk_revisions())
    return frozenset(scripts.get_heads()), known


def _current_revisions(connection: Connection) -> frozenset[str]:
    """The revisions the database is at; empty for a new database. Read directly, not through
    Alembic's context, which would log about itself on every check."""
    if not inspect(connection).has_table("alembic_version"):
        return frozenset()
    return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _is_at_head(connection: Connection) -> bool:
    """True at head, False behind it; a revision these scripts do not know is refused."""
    current = _current_revisions(connection)
    heads, known = _scripts()
    if unknown := current - known:
        raise DatabaseNotReady(
            f"the database is at revision {', '.join(sorted(unknown))}, which this version of "
            "Polku does not know (is a newer Polku using it?)"
        )
    return current == heads


def _display(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


@contextmanager
def _connected(engine: Engine, database_url: str) -> Iterator[Connection]:
    """A connection; failing to make one is told in one line, not as a traceback."""
    try:
        connection = engine.connect()
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise DatabaseNotReady(
            f"cannot reach the database {_display(database_url)}: {reason}"
        ) from exc
    with connection:
        yield connection


@contextmanager
def migration_lock(engine: Engine, database_url: str = "") -> Iterator[None]:
    """On PostgreSQL hold the upgrade's advisory lock (waiting while another process holds it);
    elsewhere do nothing. The lock belongs to its own connection, so it is released when that
    connection ends, even if this process dies."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with _connected(engine, database_url) as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        key = {"key": MIGRATION_LOCK_KEY}
        if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar():
            log.info("waiting for another process to finish migrating the database")
            connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)


def schema_is_current(database_url: str) -> bool:
    """True when the database's schema is at head (nothing to migrate)."""
    engine = make_engine(database_url)
    try:
        with _connected(engine, database_url) as connection:
            return _is_at_head(connection)
    finally:
        engine.dispose()


def upgrade_to_head(database_url: str) -> bool:
    """Create or update the schema under the migration lock; True when anything was changed.

    SQLite's folder is made if it is missing. A database already at head is left untouched.
    """
    if database_url.startswith("sqlite:///") and not database_url.endswith(":memory:"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database_url)
    try:
        with migration_lock(engine, database_url):
            with _connected(engine, database_url) as connection:
                if _is_at_head(connection):
                    return False
            command.upgrade(alembic_config(database_url), "head")
            return True
    finally:
        engine.dispose()


def prepare_database(database_url: str, *, auto_migrate: bool) -> None:
    """Before serving: bring the schema to head, or, with auto-migration off, refuse a schema
    that is behind (DatabaseNotReady, whose message names the command to run)."""
    if auto_migrate:
        if upgrade_to_head(database_url):
            log.info("database migrated to the current schema")
    elif not schema_is_current(database_url):
        raise DatabaseNotReady(
            "the database schema is not up to date and POLKU_AUTO_MIGRATE is off: "
            "run `polku migrate`, then start again"
        )
