"""Join the feature branches (labs on sandboxes, quizzes, certification) into one head.

Revision ID: 20261126_merge
Revises: 20261126_labs, 20261126_quizzes, 20261126_certification
Create Date: 2026-11-26 20:15:00
"""

revision = "20261126_merge"
down_revision = ("20261126_labs", "20261126_quizzes", "20261126_certification")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the branches."""


def downgrade() -> None:
    """Nothing to change: this revision only joins the branches."""
