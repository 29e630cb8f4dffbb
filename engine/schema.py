"""Bringing a database's schema up to date with the Alembic migrations shipped in `migrations/`."""

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(db) -> None:
    """Apply every migration not yet applied to `db` (an engine.Database)."""
    config = alembic_config(db.url)
    with db.sa_engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
