"""coach notice message id

A coach's reply to a notice in Telegram answers that young person: keep the notice's message id.

Revision ID: a85e761f8dcd
Revises: c7f069b1beeb
Create Date: 2026-12-07 03:00:54.045463
"""

from alembic import op
import sqlalchemy as sa
import core.models


revision = 'a85e761f8dcd'
down_revision = 'c7f069b1beeb'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('coachnotice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('telegram_message_id', sa.BigInteger(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('coachnotice', schema=None) as batch_op:
        batch_op.drop_column('telegram_message_id')

