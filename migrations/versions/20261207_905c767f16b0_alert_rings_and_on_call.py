"""alert rings and on call

Urgent alerts go ring by ring (own coach and those on call, then those at work, then admins);
an admin puts coaches on call. Existing rows: ring 1, reached when they were raised.

Revision ID: 905c767f16b0
Revises: 3c2e635dcf8c
Create Date: 2026-12-07 02:43:37.712132
"""

from alembic import op
import sqlalchemy as sa
import core.models


revision = '905c767f16b0'
down_revision = '3c2e635dcf8c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ring', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('ring_at', core.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('alertrecipient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ring', sa.Integer(), nullable=False, server_default='1'))

    with op.batch_alter_table('coach', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_call', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.execute("UPDATE alert SET ring_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table('coach', schema=None) as batch_op:
        batch_op.drop_column('on_call')

    with op.batch_alter_table('alertrecipient', schema=None) as batch_op:
        batch_op.drop_column('ring')

    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_column('ring_at')
        batch_op.drop_column('ring')
        batch_op.drop_column('opened_at')

