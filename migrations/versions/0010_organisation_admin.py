"""organisation admin: unit and group details, and a login apart from the permanent username

Units gain a short name, a head (a person's username), an active flag and a sort order; groups
an active flag and a sort order. People gain a phone and a `login`: the name typed at sign-in,
which a rename changes, while `username` stays the identifier that history refers to. Existing
rows stay valid: everything is active, sorted as before (0), and each login is the username.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unit") as batch:
        batch.add_column(sa.Column("short_name", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("head", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("work_group") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("login", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(length=30), nullable=True))
    op.execute("UPDATE app_user SET login = username")
    with op.batch_alter_table("app_user") as batch:
        batch.alter_column("login", existing_type=sa.String(length=100), nullable=False)
        batch.create_index("ix_app_user_login", ["login"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_index("ix_app_user_login")
        batch.drop_column("phone")
        batch.drop_column("login")
    with op.batch_alter_table("work_group") as batch:
        batch.drop_column("sort_order")
        batch.drop_column("active")
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("sort_order")
        batch.drop_column("active")
        batch.drop_column("head")
        batch.drop_column("short_name")
