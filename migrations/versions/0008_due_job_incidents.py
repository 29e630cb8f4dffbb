"""due jobs: when a job became an incident, and an index of incidents for the admins' list

A job whose every attempt failed (its handler raised, or the worker holding it died or hung) stops
being retried: its status turns `failed`, `failed_at` says when, and its last error and attempts
stay on the row. Admins list these newest first; the partial index holds failed jobs only, so
pending jobs never write to it. Jobs already failed keep a NULL `failed_at`.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FAILED = sa.text("status = 'failed'")


def upgrade() -> None:
    with op.batch_alter_table("due_job") as batch_op:
        batch_op.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_due_job_failed", "due_job", ["failed_at"], sqlite_where=FAILED, postgresql_where=FAILED)
    # Jobs closed before leases were cleared on closing still name a worker and an expired lease.
    op.execute("UPDATE due_job SET leased_by = NULL, lease_until = NULL WHERE status <> 'pending'")


def downgrade() -> None:
    op.drop_index("ix_due_job_failed", table_name="due_job")
    with op.batch_alter_table("due_job") as batch_op:
        batch_op.drop_column("failed_at")
