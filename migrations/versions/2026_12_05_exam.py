"""labs: the practical exam's incident records (one per exam attempt, with its review)

Exam attempts are lab sessions of an exam lab; only the written record needs a table.

Revision ID: 20261205_exam
Revises: 20261205_warm_pool
Create Date: 2026-12-05 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "20261205_exam"
down_revision = "20261205_warm_pool"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lab_exam_records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey("lab_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("timeline", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("fix", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("content_version", sa.String(20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("reviewer_name", sa.String(200), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.UniqueConstraint("session_id", name="uq_lab_exam_records_session"),
    )
    op.create_index("ix_lab_exam_records_user_id", "lab_exam_records", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_lab_exam_records_user_id", table_name="lab_exam_records")
    op.drop_table("lab_exam_records")
