"""The inbox keeps each event's chat, so a backlog answered fresh-first stays in order per chat.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_key", sa.String(length=160), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_inbound_events_channel"),
            ["channel", "chat_key", "status"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_events_channel"))
        batch_op.drop_column("chat_key")
