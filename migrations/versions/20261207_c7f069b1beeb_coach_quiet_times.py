"""coach quiet times

A coach's own quiet times for notices (local clock times; none by default).

Revision ID: c7f069b1beeb
Revises: 7803ab2b8f71
Create Date: 2026-12-07 02:58:13.941678
"""

from alembic import op
import sqlalchemy as sa
import core.models


revision = 'c7f069b1beeb'
down_revision = '7803ab2b8f71'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('coach', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiet_from', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('quiet_until', sa.String(length=5), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('coach', schema=None) as batch_op:
        batch_op.drop_column('quiet_until')
        batch_op.drop_column('quiet_from')

