"""Inbox rows count their failures, wait before a retry, and end dead instead of failed.

A failed event used to be apologised for at once and marked `failed`. Now a transient failure
waits (`next_attempt_at`) and is tried again, a handler bug or unreadable payload is tried a
few times (`failures` counts those), and an event out of tries is `dead`: the rows marked
`failed` before are exactly that, so they become `dead` too, for `citybot inbox dead` to list.
The status is a plain VARCHAR (see db/base.py): the new value needs no DDL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failures", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("next_attempt_at", db.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE inbound_events SET status = 'dead' WHERE status = 'failed'")


def downgrade() -> None:
    op.execute("UPDATE inbound_events SET status = 'failed' WHERE status = 'dead'")
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("failures")
