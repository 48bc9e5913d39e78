"""outbox give_up_at

Transient send failures are retried until the row's give-up time instead of six attempts.
Open rows get the rule's value (their `not_after`, or 24 hours after they were created);
settled rows keep NULL, it is never read for them.

Revision ID: d4e5f6a7b8c9
Revises: c1d2e3f4a5b6
Create Date: 2026-12-02 22:40:00
"""

from datetime import timedelta

from alembic import op
import sqlalchemy as sa
import core.models


revision = 'd4e5f6a7b8c9'
down_revision = 'c1d2e3f4a5b6'
branch_labels = None
depends_on = None

RETRY_HORIZON = timedelta(hours=24)  # core.services.outbox.RETRY_HORIZON when this was written


def upgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('give_up_at', core.models.UTCDateTime(timezone=True), nullable=True)
        )
    outbox = sa.table(
        'outboxmessage',
        sa.column('id', sa.Integer()),
        sa.column('status', sa.String()),
        sa.column('not_after', core.models.UTCDateTime()),
        sa.column('created_at', core.models.UTCDateTime()),
        sa.column('give_up_at', core.models.UTCDateTime()),
    )
    connection = op.get_bind()
    open_rows = connection.execute(
        sa.select(outbox.c.id, outbox.c.not_after, outbox.c.created_at).where(
            outbox.c.status.in_(['pending', 'sending'])
        )
    ).all()
    for row_id, not_after, created_at in open_rows:
        connection.execute(
            outbox.update()
            .where(outbox.c.id == row_id)
            .values(give_up_at=not_after or created_at + RETRY_HORIZON)
        )


def downgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_column('give_up_at')
