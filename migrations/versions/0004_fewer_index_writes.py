"""fewer index writes: no due-date index on tasks, 已办 over completed tasks, one due-job index by instance

An open task was written into the 已办 index (with an empty completed_by) and into a due-date
index no query reads; due jobs were indexed by instance and by task guid separately, though
they are only ever looked up by both.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COMPLETED = sa.text("status = 'completed'")


def upgrade() -> None:
    op.drop_index("ix_human_task_due_at", table_name="human_task")
    op.drop_index("ix_human_task_completed_by", table_name="human_task")
    op.create_index("ix_human_task_completed_by", "human_task", ["completed_by", "completed_at"],
                    sqlite_where=COMPLETED, postgresql_where=COMPLETED)
    op.drop_index("ix_due_job_instance_id", table_name="due_job")
    op.drop_index("ix_due_job_task_guid", table_name="due_job")
    op.create_index("ix_due_job_instance", "due_job", ["instance_id", "task_guid"])


def downgrade() -> None:
    op.drop_index("ix_due_job_instance", table_name="due_job")
    op.create_index("ix_due_job_task_guid", "due_job", ["task_guid"])
    op.create_index("ix_due_job_instance_id", "due_job", ["instance_id"])
    op.drop_index("ix_human_task_completed_by", table_name="human_task")
    op.create_index("ix_human_task_completed_by", "human_task", ["completed_by", "completed_at"])
    op.create_index("ix_human_task_due_at", "human_task", ["due_at"])
