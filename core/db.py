"""Engine and sessions. The engine is made by a function, never at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine


def normalise_url(url: str) -> str:
    """Pick the driver for the usual URL forms: `postgresql://` uses psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


# How long a SQLite transaction waits for another writer before it fails (and is retried).
SQLITE_BUSY_SECONDS = 15
# Execution option for a connection that only reads and must not queue behind writers.
READ_ONLY = "polku_read_only"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL, a busy timeout and write-first
    transactions."""
    url = normalise_url(url)
    # SQL errors would otherwise print the bound values, i.e. what a young person wrote.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault(
            "connect_args", {"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS}
        )
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # Safe with WAL (no corruption on a crash); only a power cut may lose the last commits.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            dbapi_conn.isolation_level = None  # BEGIN is ours (below), not the driver's

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A transaction that reads and then writes would fail at once with "database is
            # locked" if another connection wrote in between (SQLite cannot upgrade its read
            # snapshot); taking the write lock at BEGIN makes it wait its turn instead.
            if connection.get_execution_options().get(READ_ONLY):
                connection.exec_driver_sql("BEGIN")
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits when the block ends and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
