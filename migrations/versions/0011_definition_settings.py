"""element settings stored with each definition version

A diagram carries settings on its elements (which task operations a user task forbids, how its
signers sign, what happens when it times out), written by the modeler as yf:settings. They are
read at deploy and kept with the version, as its forms are. Versions deployed before have none.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_definition") as batch:
        batch.add_column(sa.Column("settings", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("process_definition") as batch:
        batch.drop_column("settings")
