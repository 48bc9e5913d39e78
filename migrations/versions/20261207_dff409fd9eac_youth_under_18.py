"""youth under 18

Whether a coach has recorded the young person as under 18 (NULL: not known).

Revision ID: dff409fd9eac
Revises: a85e761f8dcd
Create Date: 2026-12-07 03:06:20.757610
"""

from alembic import op
import sqlalchemy as sa
import core.models


revision = 'dff409fd9eac'
down_revision = 'a85e761f8dcd'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('youth', schema=None) as batch_op:
        batch_op.add_column(sa.Column('under_18', sa.Boolean(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('youth', schema=None) as batch_op:
        batch_op.drop_column('under_18')

