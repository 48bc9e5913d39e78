"""coach notice e-mail

Coach notices by e-mail too: a coach's address, their choice, and the channel of each notice.

Revision ID: 7803ab2b8f71
Revises: 905c767f16b0
Create Date: 2026-12-07 02:56:11.779157
"""

from alembic import op
import sqlalchemy as sa
import core.models


revision = '7803ab2b8f71'
down_revision = '905c767f16b0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('coach', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('notify_email', sa.Boolean(), nullable=False, server_default=sa.true()))

    with op.batch_alter_table('coachnotice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), nullable=False, server_default='telegram'))



def downgrade() -> None:
    with op.batch_alter_table('coachnotice', schema=None) as batch_op:
        batch_op.drop_column('channel')

    with op.batch_alter_table('coach', schema=None) as batch_op:
        batch_op.drop_column('notify_email')
        batch_op.drop_column('email')

