"""Alembic environment: the models' metadata, the URL from settings unless one is given."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import core.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from core.db import make_engine, normalise_url
from core.settings import get_settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or normalise_url(get_settings().database_url)
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
