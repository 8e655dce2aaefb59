"""Outbox messages keep per-chat order; inbox rows record when they were claimed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 06:40:36.576417
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_at", db.base.UTCDateTime(timezone=True), nullable=True)
        )

    # Existing rows get a key of their own (no ordering among them), then the column is required.
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_key", sa.String(length=160), nullable=True))
    op.execute("UPDATE outbound_messages SET chat_key = 'legacy:' || CAST(id AS VARCHAR)")
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.alter_column("chat_key", existing_type=sa.String(length=160), nullable=False)
        batch_op.create_index(
            "ix_outbound_messages_chat_order", ["channel", "chat_key", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_messages_chat_order")
        batch_op.drop_column("chat_key")

    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
