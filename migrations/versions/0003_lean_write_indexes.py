"""lean write indexes: inbox and due-job indexes hold only open rows; event indexes no query used

Every index a row is in costs each action a page write. The inbox indexes and the worker's
due-job index led with a status column, so closing a task or a timer moved its entry across
each of them; as partial indexes over open tasks and pending jobs, closing one only removes
it, and they stay as small as the work still to do. The event table is read by instance only.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
PENDING = sa.text("status = 'pending'")
INBOX = {
    "ix_human_task_open_unit": ["candidate_unit", "assignee", "candidate_user", "candidate_group", "candidate_role"],
    "ix_human_task_open_group": ["candidate_group", "assignee", "candidate_user", "candidate_unit", "candidate_role"],
    "ix_human_task_open_role": ["candidate_role", "assignee", "candidate_user", "candidate_unit", "candidate_group"],
    "ix_human_task_open_user": ["candidate_user", "assignee"],
    "ix_human_task_open_assignee": ["assignee"],
}
UNUSED_EVENT_INDEXES = {"ix_event_actor": "actor", "ix_event_at": "at", "ix_event_kind": "kind",
                        "ix_event_task_id": "task_id"}


def upgrade() -> None:
    for name, columns in INBOX.items():
        op.drop_index(name, table_name="human_task")
        op.create_index(name, "human_task", columns, sqlite_where=OPEN, postgresql_where=OPEN)
    op.drop_index("ix_due_job_pending", table_name="due_job")
    op.create_index("ix_due_job_pending", "due_job", ["due_at"], sqlite_where=PENDING, postgresql_where=PENDING)
    for name in UNUSED_EVENT_INDEXES:
        op.drop_index(name, table_name="event")


def downgrade() -> None:
    for name, column in UNUSED_EVENT_INDEXES.items():
        op.create_index(name, "event", [column])
    op.drop_index("ix_due_job_pending", table_name="due_job")
    op.create_index("ix_due_job_pending", "due_job", ["status", "due_at"])
    for name, columns in INBOX.items():
        op.drop_index(name, table_name="human_task")
        op.create_index(name, "human_task", ["status", *columns])
