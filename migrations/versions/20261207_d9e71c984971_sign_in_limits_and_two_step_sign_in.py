"""sign-in limits and two-step sign-in

Failed sign-in tries are counted per client address and per login and address in their own
table (no longer on the coach, so nobody elsewhere can lock a coach out); half-done sign-ins
waiting for the code; the coach's authenticator secret and one-time recovery codes; and the
organisation-wide panel settings (two-step sign-in required for everyone).

Revision ID: d9e71c984971
Revises: 25cbc932b429
Create Date: 2026-12-07 04:45:45.399380
"""

from alembic import op
import sqlalchemy as sa
import core.models


revision = 'd9e71c984971'
down_revision = '25cbc932b429'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'panel_setting',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'sign_in_counter',
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('login', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('tries', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('expires_at', core.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'login', 'address'),
    )
    with op.batch_alter_table('sign_in_counter', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_sign_in_counter_expires_at'), ['expires_at'], unique=False
        )
    op.create_table(
        'pending_sign_in',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('coach_id', sa.Integer(), nullable=False),
        sa.Column('expires_at', core.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['coach_id'], ['coach.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    with op.batch_alter_table('pending_sign_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_sign_in_coach_id'), ['coach_id'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_pending_sign_in_expires_at'), ['expires_at'], unique=False
        )
    op.create_table(
        'recovery_code',
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('coach_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['coach_id'], ['coach.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('code_hash'),
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_coach_id'), ['coach_id'], unique=False)
    with op.batch_alter_table('coach', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('totp_enabled_at', core.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')


def downgrade() -> None:
    with op.batch_alter_table('coach', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('locked_until', core.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
    op.drop_table('recovery_code')
    op.drop_table('pending_sign_in')
    op.drop_table('sign_in_counter')
    op.drop_table('panel_setting')
