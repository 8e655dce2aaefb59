"""Remove the identities that LINE groups and rooms were given as if they were people.

LINE's join, leave and member events carry no sender; until the dispatcher could answer an
event without one, the LINE adapter passed the group itself off as the sender, and each such
group got an Identity row (no member, a group or room id for its user id). Nothing refers to
them but cascading state; they only inflated account counts and made the rich-menu sync ask
LINE for a group's menu. Data only: the schema does not change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM identities WHERE channel = 'line' AND member_id IS NULL AND external_id IN ("
        "SELECT external_id FROM chats WHERE channel = 'line' AND kind IN ('group', 'room'))"
    )


def downgrade() -> None:
    """Nothing to restore: the removed rows were wrong, and nothing needs them back."""
