"""one open lab session per trainee and lab, session versions for accounts, the e-mail outbox

Revision ID: 20261204_limits_outbox
Revises: 20261204_answer_tries
Create Date: 2026-12-04 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "20261204_limits_outbox"
down_revision = "20261204_answer_tries"
branch_labels = None
depends_on = None

OPEN = "status IN ('starting', 'setting_up', 'active')"


def upgrade() -> None:
    # Sessions opened twice by a double click before the index existed: keep the newest open one
    # of each trainee and lab, fail the others (the supervisor then releases their sandboxes).
    op.execute(
        sa.text(
            "UPDATE lab_sessions SET status = 'failed', busy = 'cleanup', "
            "finished_at = CURRENT_TIMESTAMP, "
            "error = 'Closed: a second session of this lab was open at the same time.' "
            f"WHERE {OPEN} AND id NOT IN "
            f"(SELECT MAX(id) FROM lab_sessions WHERE {OPEN} GROUP BY user_id, lab_slug)"
        )
    )
    op.create_index(
        "uq_lab_sessions_open",
        "lab_sessions",
        ["user_id", "lab_slug"],
        unique=True,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_index(
        "ix_outbox_messages_status_due", "outbox_messages", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_status_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
    op.drop_index("uq_lab_sessions_open", table_name="lab_sessions")
