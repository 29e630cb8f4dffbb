"""an open task is in the inbox indexes of the ways it is offered only

Each inbox index held every open task, with empty keys for the ways a task is not offered, so
opening or closing any task wrote all five. Each now holds the open tasks whose leading column
is set: a task offered to a unit is written into the unit index alone. Every inbox query
compares the leading column with a value, which already tells the database it is set, so the
same queries use them.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INBOX = {
    "ix_human_task_open_unit": ["candidate_unit", "assignee", "candidate_user", "candidate_group", "candidate_role"],
    "ix_human_task_open_group": ["candidate_group", "assignee", "candidate_user", "candidate_unit", "candidate_role"],
    "ix_human_task_open_role": ["candidate_role", "assignee", "candidate_user", "candidate_unit", "candidate_group"],
    "ix_human_task_open_user": ["candidate_user", "assignee"],
    "ix_human_task_open_assignee": ["assignee"],
}


def _create(name: str, columns: list[str], where: str) -> None:
    op.create_index(name, "human_task", columns, sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade() -> None:
    for name, columns in INBOX.items():
        op.drop_index(name, table_name="human_task")
        _create(name, columns, f"status = 'open' AND {columns[0]} IS NOT NULL")


def downgrade() -> None:
    for name, columns in INBOX.items():
        op.drop_index(name, table_name="human_task")
        _create(name, columns, "status = 'open'")
