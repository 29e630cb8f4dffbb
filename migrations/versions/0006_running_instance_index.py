"""one index of running instances by process and version, instead of three of every instance

An instance was written into separate indexes of its version, its process and its status when
it started, and moved in the status index when it ended. The only questions asked of them are
about running instances: how many run on each version, and which of a process's running
instances are not on a given version (migration). One partial index over running instances,
by process and version, answers both; an instance enters it when it starts and leaves it when
it ends.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

RUNNING = sa.text("status = 'running'")
REPLACED = {"ix_process_instance_definition_id": "definition_id", "ix_process_instance_process_key": "process_key",
            "ix_process_instance_status": "status"}


def upgrade() -> None:
    for name in REPLACED:
        op.drop_index(name, table_name="process_instance")
    op.create_index("ix_process_instance_running", "process_instance", ["process_key", "definition_id"],
                    sqlite_where=RUNNING, postgresql_where=RUNNING)


def downgrade() -> None:
    op.drop_index("ix_process_instance_running", table_name="process_instance")
    for name, column in REPLACED.items():
        op.create_index(name, "process_instance", [column])
