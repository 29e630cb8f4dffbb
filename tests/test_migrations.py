"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import workflows.models  # noqa: F401 - the domain tables share the engine's metadata
from engine.models import Base


def test_migrated_schema_matches_the_models(platform):
    with platform.db.sa_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
