"""coach notices and telegram link

A coach links their own Telegram chat (one-time codes, kept hashed) and gets notices there.

Revision ID: 3c2e635dcf8c
Revises: d4e5f6a7b8c9
Create Date: 2026-12-07 02:22:21.673140
"""

from alembic import op
import sqlalchemy as sa
import core.models


revision = '3c2e635dcf8c'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('telegramlinkcode',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['coach.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code_hash')
    )
    with op.batch_alter_table('telegramlinkcode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegramlinkcode_coach_id'), ['coach_id'], unique=False)

    op.create_table('coachnotice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('youth_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('give_up_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('claimed_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['coach.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['youth_id'], ['youth.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('coachnotice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coachnotice_coach_id'), ['coach_id'], unique=False)
        batch_op.create_index('ix_coachnotice_due', ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_coachnotice_youth_id'), ['youth_id'], unique=False)

    with op.batch_alter_table('coach', schema=None) as batch_op:
        batch_op.add_column(sa.Column('telegram_chat_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column('notify_telegram', sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.create_index('ix_coach_telegram_chat_id', ['telegram_chat_id'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('coach', schema=None) as batch_op:
        batch_op.drop_index('ix_coach_telegram_chat_id')
        batch_op.drop_column('notify_telegram')
        batch_op.drop_column('telegram_chat_id')

    with op.batch_alter_table('coachnotice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coachnotice_youth_id'))
        batch_op.drop_index('ix_coachnotice_due')
        batch_op.drop_index(batch_op.f('ix_coachnotice_coach_id'))

    op.drop_table('coachnotice')
    with op.batch_alter_table('telegramlinkcode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegramlinkcode_coach_id'))

    op.drop_table('telegramlinkcode')
