"""drills: recurring drills that keep a certificate current

Adds the `drill_occurrences` table (notices sent and completions noted per holder, drill and
period), the suspension and drill-extension columns of `certificates`, and the attested-activity
kinds of drills (training_session, architecture_review) to the check on `attestations.kind`.

Revision ID: 20261206_drills
Revises: 20261205_xapi
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "20261206_drills"
down_revision = "20261205_xapi"
branch_labels = None
depends_on = None

OLD_KINDS = "kind in ('shadow_shift', 'incident_response')"
NEW_KINDS = (
    "kind in ('shadow_shift', 'incident_response', 'training_session', 'architecture_review')"
)


def upgrade() -> None:
    op.create_table(
        "drill_occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.String(length=100), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("due_reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evidence_kind", sa.String(length=20), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_drill_occurrences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_drill_occurrences_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_occurrences")),
        sa.UniqueConstraint(
            "user_id", "drill_id", "period_start", name=op.f("uq_drill_occurrences_user_id")
        ),
    )
    op.create_index(
        op.f("ix_drill_occurrences_certificate_id"), "drill_occurrences", ["certificate_id"]
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("suspension_reason", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("drill_extensions", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_attestations_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_attestations_kind"), NEW_KINDS)


def downgrade() -> None:
    op.drop_index(op.f("ix_drill_occurrences_certificate_id"), table_name="drill_occurrences")
    op.drop_table("drill_occurrences")
    # Drill activities cannot be kept under the older check: they go with the feature.
    op.execute(
        "DELETE FROM attestations WHERE kind IN ('training_session', 'architecture_review')"
    )
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_attestations_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_attestations_kind"), OLD_KINDS)
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_column("drill_extensions")
        batch_op.drop_column("suspension_reason")
        batch_op.drop_column("suspended_at")
