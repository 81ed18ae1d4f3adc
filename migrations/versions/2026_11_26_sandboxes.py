"""sandboxes: sandboxes and terminal recordings

Revision ID: 20261126_sandboxes
Revises: 20261126_foundation
Create Date: 2026-11-26 19:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "20261126_sandboxes"
down_revision = "20261126_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sandboxes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("profile", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.String(length=300), nullable=False),
        sa.Column("progress_percent", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("engine", sa.String(length=300), nullable=False),
        sa.Column("disk", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("warning", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_sandboxes_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandboxes")),
    )
    with op.batch_alter_table("sandboxes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sandboxes_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_sandboxes_status_profile", ["status", "profile"], unique=False)

    op.create_table(
        "terminal_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sandbox_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=63), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("cols", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sandbox_id"],
            ["sandboxes.id"],
            name=op.f("fk_terminal_recordings_sandbox_id_sandboxes"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_terminal_recordings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_recordings")),
    )
    with op.batch_alter_table("terminal_recordings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_terminal_recordings_sandbox_id"), ["sandbox_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_terminal_recordings_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("terminal_recordings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_terminal_recordings_user_id"))
        batch_op.drop_index(batch_op.f("ix_terminal_recordings_sandbox_id"))
    op.drop_table("terminal_recordings")

    with op.batch_alter_table("sandboxes", schema=None) as batch_op:
        batch_op.drop_index("ix_sandboxes_status_profile")
        batch_op.drop_index(batch_op.f("ix_sandboxes_owner_id"))
    op.drop_table("sandboxes")
