"""message.waited_seconds: a coach's answer records how long the young person waited, for the
impact report's response time (replies before this have none).

Revision ID: 30de72e5b0cd
Revises: e93ef040d966
Create Date: 2026-12-07 06:12:02.200345
"""

import sqlalchemy as sa
from alembic import op

revision = "30de72e5b0cd"
down_revision = "e93ef040d966"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waited_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("waited_seconds")
