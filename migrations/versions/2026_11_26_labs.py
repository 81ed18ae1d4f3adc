"""labs: lab sessions, task results and check runs

Revision ID: 20261126_labs
Revises: 20261126_sandboxes
Create Date: 2026-11-26 19:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '20261126_labs'
down_revision = '20261126_sandboxes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lab_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lab_slug', sa.String(length=100), nullable=False),
    sa.Column('sandbox_id', sa.String(length=32), nullable=True),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('random_values', sa.JSON(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('content_version', sa.String(length=20), nullable=False),
    sa.Column('progress', sa.String(length=300), nullable=False),
    sa.Column('progress_percent', sa.Integer(), nullable=False),
    sa.Column('busy', sa.String(length=200), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expiry_warned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['sandbox_id'], ['sandboxes.id'], name=op.f('fk_lab_sessions_sandbox_id_sandboxes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lab_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_sessions'))
    )
    with op.batch_alter_table('lab_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_lab_sessions_user_lab', ['user_id', 'lab_slug'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_sessions_sandbox_id'), ['sandbox_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_sessions_status'), ['status'], unique=False)

    op.create_table('lab_check_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.String(length=100), nullable=True),
    sa.Column('trigger', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('output_excerpt', sa.Text(), nullable=False),
    sa.Column('content_version', sa.String(length=20), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['lab_sessions.id'], name=op.f('fk_lab_check_runs_session_id_lab_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lab_check_runs_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_check_runs'))
    )
    with op.batch_alter_table('lab_check_runs', schema=None) as batch_op:
        batch_op.create_index('ix_lab_check_runs_session_status', ['session_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_check_runs_status'), ['status'], unique=False)

    op.create_table('lab_task_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=100), nullable=False),
    sa.Column('passed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('passed_by_run_id', sa.Integer(), nullable=True),
    sa.Column('failed_checks', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['passed_by_run_id'], ['lab_check_runs.id'], name=op.f('fk_lab_task_results_passed_by_run_id_lab_check_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['lab_sessions.id'], name=op.f('fk_lab_task_results_session_id_lab_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_task_results')),
    sa.UniqueConstraint('session_id', 'task_id', name=op.f('uq_lab_task_results_session_id'))
    )


def downgrade() -> None:
    op.drop_table('lab_task_results')
    with op.batch_alter_table('lab_check_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_check_runs_status'))
        batch_op.drop_index('ix_lab_check_runs_session_status')

    op.drop_table('lab_check_runs')
    with op.batch_alter_table('lab_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_sessions_status'))
        batch_op.drop_index(batch_op.f('ix_lab_sessions_sandbox_id'))
        batch_op.drop_index('ix_lab_sessions_user_lab')

    op.drop_table('lab_sessions')
