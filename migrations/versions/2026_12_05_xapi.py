"""xapi: statements for the learning record store, sent after commit

Revision ID: 20261205_xapi
Revises: 20261205_accounts
Create Date: 2026-12-05 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "20261205_xapi"
down_revision = "20261205_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xapi_statements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("statement_id", sa.String(36), nullable=False),
        sa.Column("verb", sa.String(40), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("statement_id", name="uq_xapi_statements_statement_id"),
    )
    op.create_index("ix_xapi_statements_next_attempt_at", "xapi_statements", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_xapi_statements_next_attempt_at", table_name="xapi_statements")
    op.drop_table("xapi_statements")
