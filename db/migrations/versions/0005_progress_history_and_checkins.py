"""Progress reports keep who reported (identity) and what the milestone was before; evidence
files; the milestone names its last reporter; check-in rounds record each city's escalation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:40:17.073262
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("round_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "milestone_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("asked_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("officers_reminded_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("executive_reminded_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("silent_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_checkin_rounds_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_rounds")),
        sa.UniqueConstraint(
            "organisation_id", "round_at", name=op.f("uq_checkin_rounds_organisation_id_round_at")
        ),
    )
    with op.batch_alter_table("checkin_rounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkin_rounds_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_update_member_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_milestones_last_update_member_id_members"),
            "members",
            ["last_update_member_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence_path", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("evidence_type", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("evidence_bytes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("identity_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "previous_status",
                sa.Enum(
                    "not_started",
                    "in_progress",
                    "blocked",
                    "done",
                    name="milestonestatus",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("previous_percent", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_progress_updates_reported_at"), ["reported_at"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_progress_updates_identity_id_identities"),
            "identities",
            ["identity_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_progress_updates_identity_id_identities"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_progress_updates_reported_at"))
        batch_op.drop_column("previous_percent")
        batch_op.drop_column("previous_status")
        batch_op.drop_column("identity_id")
        batch_op.drop_column("evidence_bytes")
        batch_op.drop_column("evidence_type")
        batch_op.drop_column("evidence_path")

    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_milestones_last_update_member_id_members"), type_="foreignkey"
        )
        batch_op.drop_column("last_update_member_id")

    with op.batch_alter_table("checkin_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_rounds_organisation_id"))

    op.drop_table("checkin_rounds")
