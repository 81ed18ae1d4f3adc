"""sandboxes: prepared lab sandboxes (warm pool): a lab's setup already run, waiting for a trainee

Revision ID: 20261205_warm_pool
Revises: 20261205_incident_updates
Create Date: 2026-12-05 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "20261205_warm_pool"
down_revision = "20261205_incident_updates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lab_prepared",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lab_slug", sa.String(100), nullable=False),
        sa.Column(
            "sandbox_id",
            sa.String(32),
            sa.ForeignKey("sandboxes.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("content_version", sa.String(20), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("random_values", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column(
            "session_id", sa.Integer(), sa.ForeignKey("lab_sessions.id", ondelete="SET NULL")
        ),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True)),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        # One sandbox is prepared once, and serves at most one session.
        sa.UniqueConstraint("sandbox_id", name="uq_lab_prepared_sandbox"),
        sa.UniqueConstraint("session_id", name="uq_lab_prepared_session"),
    )
    op.create_index("ix_lab_prepared_lab_status", "lab_prepared", ["lab_slug", "status"])


def downgrade() -> None:
    op.drop_index("ix_lab_prepared_lab_status", table_name="lab_prepared")
    op.drop_table("lab_prepared")
