"""update inbox

Revision ID: c1d2e3f4a5b6
Revises: 201136925042
Create Date: 2026-12-02 22:20:00
"""

from alembic import op
import sqlalchemy as sa
import core.models


revision = 'c1d2e3f4a5b6'
down_revision = '201136925042'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbound_update',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('chat_key', sa.BigInteger(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('received_at', core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', core.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('update_id')
    )
    with op.batch_alter_table('inbound_update', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_update_open', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_inbound_update_chat', ['chat_key', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbound_update', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_update_chat')
        batch_op.drop_index('ix_inbound_update_open')
    op.drop_table('inbound_update')
