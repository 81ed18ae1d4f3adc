"""labs: count the tries of each typed answer, so answers cannot be guessed without limit

Revision ID: 20261204_answer_tries
Revises: 20261126_merge
Create Date: 2026-12-04 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "20261204_answer_tries"
down_revision = "20261126_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lab_sessions") as batch:
        batch.add_column(
            sa.Column("answer_tries", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("lab_sessions") as batch:
        batch.drop_column("answer_tries")
