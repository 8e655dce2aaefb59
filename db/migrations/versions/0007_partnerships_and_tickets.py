"""Partnership offers in several domains, with kinds, targets, depa's review and views;
introductions with each side's consent; questions to depa as tickets with threads.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:34:03.932283
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "answered", "closed", name="ticketstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "line",
                "telegram",
                "console",
                "simulator",
                name="channel",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("asked_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_reply_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_message_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_member_id", sa.Integer(), nullable=True),
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
            ["closed_by_member_id"],
            ["members.id"],
            name=op.f("fk_tickets_closed_by_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_tickets_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_tickets_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_member_id"), ["member_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tickets_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tickets_status"), ["status", "asked_at"], unique=False
        )

    op.create_table(
        "partnership_offer_domains",
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["domains.id"],
            name=op.f("fk_partnership_offer_domains_domain_id_domains"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["partnership_offers.id"],
            name=op.f("fk_partnership_offer_domains_offer_id_partnership_offers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "offer_id", "domain_id", name=op.f("pk_partnership_offer_domains")
        ),
    )
    with op.batch_alter_table("partnership_offer_domains", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partnership_offer_domains_domain_id"), ["domain_id"], unique=False
        )

    op.create_table(
        "partnership_offer_targets",
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["partnership_offers.id"],
            name=op.f("fk_partnership_offer_targets_offer_id_partnership_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_partnership_offer_targets_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "offer_id", "organisation_id", name=op.f("pk_partnership_offer_targets")
        ),
    )
    op.create_table(
        "partnership_offer_views",
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_partnership_offer_views_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["partnership_offers.id"],
            name=op.f("fk_partnership_offer_views_offer_id_partnership_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_partnership_offer_views_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("offer_id", "member_id", name=op.f("pk_partnership_offer_views")),
    )
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("from_depa", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "line",
                "telegram",
                "console",
                "simulator",
                name="channel",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_ticket_messages_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_messages_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_messages")),
    )
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_messages_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "introduction_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interest_id", sa.Integer(), nullable=False),
        sa.Column(
            "side",
            sa.Enum("city", "firm", name="introside", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("agreed", sa.Boolean(), nullable=False),
        sa.Column(
            "contact",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("answered_at", db.base.UTCDateTime(timezone=True), nullable=False),
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
            ["interest_id"],
            ["partnership_interests.id"],
            name=op.f("fk_introduction_consents_interest_id_partnership_interests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_introduction_consents_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_introduction_consents")),
        sa.UniqueConstraint(
            "interest_id", "side", name=op.f("uq_introduction_consents_interest_id_side")
        ),
    )
    with op.batch_alter_table("partnership_interests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("intro_requested_at", db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("intro_requested_by_member_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("introduced_at", db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_partnership_interests_intro_requested_by_member_id_members"),
            "members",
            ["intro_requested_by_member_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("partnership_offers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "pilot",
                    "technology",
                    "funding",
                    "training",
                    "data",
                    name="offerkind",
                    native_enum=False,
                    length=32,
                ),
                server_default="technology",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("targets_all", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("reviewed_by_member_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reviewed_at", db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("review_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("published_at", db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("closed_at", db.base.UTCDateTime(timezone=True), nullable=True)
        )

    # Each offer's one domain becomes the first of its domains; offers already open were
    # published when they were made.
    op.execute(
        "INSERT INTO partnership_offer_domains (offer_id, domain_id) "
        "SELECT id, domain_id FROM partnership_offers"
    )
    op.execute("UPDATE partnership_offers SET published_at = created_at WHERE status = 'open'")

    with op.batch_alter_table("partnership_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partnership_offers_domain_id"))
        batch_op.create_index(
            batch_op.f("ix_partnership_offers_status"), ["status", "published_at"], unique=False
        )
        batch_op.drop_constraint(
            batch_op.f("fk_partnership_offers_domain_id_domains"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_partnership_offers_reviewed_by_member_id_members"),
            "members",
            ["reviewed_by_member_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_column("domain_id")


def downgrade() -> None:
    with op.batch_alter_table("partnership_offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("domain_id", sa.INTEGER(), nullable=True))

    op.execute(
        "UPDATE partnership_offers SET domain_id = (SELECT MIN(domain_id) "
        "FROM partnership_offer_domains WHERE offer_id = partnership_offers.id)"
    )
    op.execute("DELETE FROM partnership_offers WHERE domain_id IS NULL")
    op.execute(
        "UPDATE partnership_offers SET status = 'closed' WHERE status IN ('pending', 'rejected')"
    )

    with op.batch_alter_table("partnership_offers", schema=None) as batch_op:
        batch_op.alter_column("domain_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("fk_partnership_offers_reviewed_by_member_id_members"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_partnership_offers_domain_id_domains"), "domains", ["domain_id"], ["id"]
        )
        batch_op.drop_index(batch_op.f("ix_partnership_offers_status"))
        batch_op.create_index(
            batch_op.f("ix_partnership_offers_domain_id"), ["domain_id"], unique=False
        )
        batch_op.drop_column("closed_at")
        batch_op.drop_column("published_at")
        batch_op.drop_column("review_reason")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by_member_id")
        batch_op.drop_column("targets_all")
        batch_op.drop_column("kind")

    with op.batch_alter_table("partnership_interests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_partnership_interests_intro_requested_by_member_id_members"),
            type_="foreignkey",
        )
        batch_op.drop_column("introduced_at")
        batch_op.drop_column("intro_requested_by_member_id")
        batch_op.drop_column("intro_requested_at")

    op.drop_table("introduction_consents")
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_messages_ticket_id"))

    op.drop_table("ticket_messages")
    op.drop_table("partnership_offer_views")
    op.drop_table("partnership_offer_targets")
    with op.batch_alter_table("partnership_offer_domains", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partnership_offer_domains_domain_id"))

    op.drop_table("partnership_offer_domains")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_status"))
        batch_op.drop_index(batch_op.f("ix_tickets_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_member_id"))

    op.drop_table("tickets")
