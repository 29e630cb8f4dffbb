"""Alembic environment: the URL comes from the caller's config or DATABASE_URL."""

from alembic import context
from sqlalchemy import create_engine

import workflows.models  # noqa: F401 - registers the domain tables on the shared metadata
from engine.db import DEFAULT_URL, normalise_url
from engine.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    import os

    return normalise_url(config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL") or DEFAULT_URL)


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=target_metadata,
                          render_as_batch=connectable.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
