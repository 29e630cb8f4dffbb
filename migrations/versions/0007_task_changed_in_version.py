"""the instance version in which each open task last changed

A person completes a task on the instance version they saw. When a parallel task of the same
instance was completed meanwhile, the instance has moved on but their task has not: the
completion applies as long as the task itself did not change after the version they saw.
Open tasks of running instances start from their instance's current version, so a completion
built on an older version is refused for them, as before.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("human_task", sa.Column("changed_in_version", sa.Integer(), nullable=True))
    op.execute("UPDATE human_task SET changed_in_version = (SELECT version FROM process_instance "
               "WHERE process_instance.id = human_task.instance_id) WHERE status = 'open'")


def downgrade() -> None:
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("changed_in_version")
