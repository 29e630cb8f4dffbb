"""deadlines: escalation ladder columns, extension requests, notifications

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rectification_case") as batch_op:
        batch_op.add_column(sa.Column("escalation", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("extended_days", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_rectification_case_escalation", ["escalation"], unique=False)

    op.create_table(
        "extension_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("extra_days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("old_due_on", sa.Date(), nullable=False),
        sa.Column("new_due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["rectification_case.id"]),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["human_task.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_extension_request_case_status", "extension_request", ["case_id", "status"])
    op.create_index("ix_extension_request_instance_id", "extension_request", ["instance_id"])

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notification_recipient_read", "notification", ["recipient", "read_at"])
    op.create_index("ix_notification_instance_id", "notification", ["instance_id"])


def downgrade() -> None:
    op.drop_table("notification")
    op.drop_table("extension_request")
    with op.batch_alter_table("rectification_case") as batch_op:
        batch_op.drop_index("ix_rectification_case_escalation")
        for column in ("extended_days", "handed_over_at", "overdue_at", "reminded_at", "escalation"):
            batch_op.drop_column(column)
