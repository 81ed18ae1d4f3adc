"""labs: status updates written during an incident drill, stamped with the server's time

Revision ID: 20261205_incident_updates
Revises: 20261204_limits_outbox
Create Date: 2026-12-05 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "20261205_incident_updates"
down_revision = "20261204_limits_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lab_status_updates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey("lab_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_lab_status_updates_session", "lab_status_updates", ["session_id", "posted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_lab_status_updates_session", table_name="lab_status_updates")
    op.drop_table("lab_status_updates")
