"""Audience resolution: who an announcement reaches, on which one account, and who it cannot."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from db.enums import Channel, Language, MemberStatus, Role
from db.models import Competition, CompetitionEntry
from db.repositories.audiences import (
    Audience,
    AudienceError,
    AudienceKind,
    parse_audience,
    resolve_audience,
    resolve_members,
)
from tests.conftest import Database
from tests.factories import add_member, console, line, telegram

PUSH = (Channel.LINE, Channel.TELEGRAM)


def test_specs_parse_to_canonical_form() -> None:
    """Specs are case-insensitive and come back in one canonical spelling."""
    assert parse_audience(" ALL ") == Audience(AudienceKind.ALL)
    assert parse_audience("Role:Executive").spec == "role:executive"
    assert parse_audience("org: Khon-Kaen").spec == "org:khon-kaen"
    assert parse_audience("domain:energy") == Audience(AudienceKind.DOMAIN, "energy")
    assert parse_audience("entrants") == Audience(AudienceKind.ENTRANTS)
    assert parse_audience("entrants:smart-city-plan-2027").value == "smart-city-plan-2027"


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("everyone", "unknown audience 'everyone'"),
        ("role:mayor", "unknown role 'mayor'"),
        ("org", "needs a value: org:SLUG"),
        ("domain:", "needs a value: domain:SLUG"),
        ("all:cities", "takes no value"),
        ("entrants:", "needs a competition slug"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, fragment: str) -> None:
    """An unknown kind or role, or a missing slug, is refused with a message naming it."""
    with pytest.raises(AudienceError, match=fragment):
        parse_audience(spec)


async def test_all_reaches_each_active_member_once(seeded_database: Database) -> None:
    """`all`: one account per member; erased members left out; console-only members counted."""
    async with seeded_database.sessions() as session, session.begin():
        only_line = await add_member(session, "khon-kaen", Role.OFFICER, [line("1")])
        only_telegram = await add_member(session, "yala", Role.EXECUTIVE, [telegram("2")])
        both = await add_member(
            session,
            "phuket",
            Role.OFFICER,
            [line("3"), telegram("3")],
            last_channel=Channel.TELEGRAM,
        )
        await add_member(session, "krabi", Role.OFFICER, [console("c4")])
        await add_member(session, "krabi", Role.OFFICER, [], status=MemberStatus.ERASED)
        found = await resolve_audience(
            session=session, audience=parse_audience("all"), channels=PUSH
        )
    reached = {(r.member_id, r.channel) for r in found.recipients}
    assert reached == {
        (only_line.id, Channel.LINE),
        (only_telegram.id, Channel.TELEGRAM),
        (both.id, Channel.TELEGRAM),
    }
    assert found.unreachable == 1
    assert found.blocked == {}
    assert found.audience_size == 4


async def test_linked_member_is_reached_on_the_channel_used_last(
    seeded_database: Database,
) -> None:
    """Linked on both: last_channel wins; if that was console, the most recently seen wins."""
    async with seeded_database.sessions() as session, session.begin():
        line_last = await add_member(
            session,
            "songkhla",
            Role.OFFICER,
            [line("10", seen_minutes_ago=90), telegram("10", seen_minutes_ago=5)],
            last_channel=Channel.LINE,
        )
        console_last = await add_member(
            session,
            "songkhla",
            Role.EXECUTIVE,
            [
                line("11", seen_minutes_ago=90),
                telegram("11", seen_minutes_ago=5),
                console("c11"),
            ],
            last_channel=Channel.CONSOLE,
        )
        found = await resolve_audience(
            session=session, audience=parse_audience("org:songkhla"), channels=PUSH
        )
    chosen = {r.member_id: (r.channel, r.external_id) for r in found.recipients}
    assert chosen == {
        line_last.id: (Channel.LINE, f"U{'10':0>32}"),
        console_last.id: (Channel.TELEGRAM, "11"),
    }


async def test_blocked_accounts_are_skipped_and_counted(seeded_database: Database) -> None:
    """A blocked account falls back to the member's other one; all blocked → counted, not sent."""
    async with seeded_database.sessions() as session, session.begin():
        fallback = await add_member(
            session,
            "pattaya",
            Role.OFFICER,
            [line("20", blocked=True), telegram("20")],
            last_channel=Channel.LINE,
        )
        await add_member(session, "pattaya", Role.OFFICER, [line("21", blocked=True)])
        await add_member(
            session,
            "pattaya",
            Role.OFFICER,
            [line("22", blocked=True), telegram("22", blocked=True)],
            last_channel=Channel.TELEGRAM,
        )
        found = await resolve_audience(
            session=session, audience=parse_audience("org:pattaya"), channels=PUSH
        )
    assert [(r.member_id, r.channel) for r in found.recipients] == [
        (fallback.id, Channel.TELEGRAM)
    ]
    assert found.blocked == {Channel.LINE: 1, Channel.TELEGRAM: 1}
    assert found.blocked_total == 2
    assert found.unreachable == 0


async def test_only_configured_channels_count(seeded_database: Database) -> None:
    """With only LINE configured, a Telegram-only member is unreachable, a linked one gets LINE."""
    async with seeded_database.sessions() as session, session.begin():
        await add_member(session, "bangkok", Role.OFFICER, [telegram("30")])
        linked = await add_member(
            session,
            "bangkok",
            Role.OFFICER,
            [line("31"), telegram("31")],
            last_channel=Channel.TELEGRAM,
        )
        found = await resolve_audience(
            session=session, audience=parse_audience("org:bangkok"), channels=[Channel.LINE]
        )
    assert [(r.member_id, r.channel) for r in found.recipients] == [(linked.id, Channel.LINE)]
    assert found.unreachable == 1


async def test_role_org_and_domain_select_their_members(seeded_database: Database) -> None:
    """`role:`, `org:` and `domain:` (organisations working in that domain) pick the right ones."""
    async with seeded_database.sessions() as session, session.begin():
        pattaya = await add_member(session, "pattaya", Role.EXECUTIVE, [line("40")])
        chiang_mai = await add_member(session, "chiang-mai", Role.OFFICER, [telegram("41")])
        yala = await add_member(session, "yala", Role.OFFICER, [telegram("42")])
        partner = await add_member(session, "depa", Role.COORDINATOR, [line("43")])

        async def members(spec: str) -> set[int]:
            found = await resolve_audience(
                session=session, audience=parse_audience(spec), channels=PUSH
            )
            return {r.member_id for r in found.recipients}

        assert await members("role:officer") == {chiang_mai.id, yala.id}
        assert await members("role:coordinator") == {partner.id}
        assert await members("org:yala") == {yala.id}
        # content/organisations.yaml: energy is a focus of Pattaya, Phuket and Chiang Mai.
        assert await members("domain:energy") == {pattaya.id, chiang_mai.id}
        assert await members("domain:people") == {yala.id}


async def test_entrants_are_members_of_entered_organisations(seeded_database: Database) -> None:
    """`entrants` covers every competition's entries; `entrants:SLUG` only that competition's."""
    async with seeded_database.sessions() as session, session.begin():
        entered = await add_member(session, "khon-kaen", Role.EXECUTIVE, [line("50")])
        other = await add_member(session, "phitsanulok", Role.OFFICER, [line("51")])
        await add_member(session, "krabi", Role.OFFICER, [line("52")])
        main = await session.scalar(
            select(Competition).where(Competition.slug == "smart-city-plan-2027")
        )
        assert main is not None
        side = Competition(slug="open-data-2027", title_th="ข้อมูลเปิด", title_en="Open data")
        session.add(side)
        await session.flush()
        for competition, organisation_id in (
            (main, entered.organisation_id),
            (side, other.organisation_id),
        ):
            session.add(
                CompetitionEntry(competition_id=competition.id, organisation_id=organisation_id)
            )
        await session.flush()
        everyone = await resolve_audience(
            session=session, audience=parse_audience("entrants"), channels=PUSH
        )
        one = await resolve_audience(
            session=session,
            audience=parse_audience("entrants:smart-city-plan-2027"),
            channels=PUSH,
        )
    assert {r.member_id for r in everyone.recipients} == {entered.id, other.id}
    assert {r.member_id for r in one.recipients} == {entered.id}


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("org:atlantis", "unknown organisation 'atlantis' (known: bangkok, "),
        ("domain:space", "unknown domain 'space' (known: economy, "),
        ("entrants:olympics", "unknown competition 'olympics' (known: smart-city-plan-2027)"),
    ],
)
async def test_unknown_slugs_are_refused_with_the_known_ones(
    seeded_database: Database, spec: str, fragment: str
) -> None:
    """A slug that names nothing in the database is an AudienceError listing what exists."""
    async with seeded_database.sessions() as session:
        with pytest.raises(AudienceError) as raised:
            await resolve_audience(session=session, audience=parse_audience(spec), channels=PUSH)
    assert fragment in str(raised.value)


async def test_resolution_takes_at_most_two_queries(seeded_database: Database) -> None:
    """No query per member: 60 members resolve in one lookup plus one joined query."""
    async with seeded_database.sessions() as session, session.begin():
        for index in range(60):
            await add_member(
                session,
                "khon-kaen",
                Role.OFFICER,
                [line(f"6{index}"), telegram(f"6{index}")],
                language=Language.EN if index % 2 else Language.TH,
            )
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        engine = seeded_database.engine.sync_engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            found = await resolve_audience(
                session=session, audience=parse_audience("org:khon-kaen"), channels=PUSH
            )
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(found.recipients) == 60
    assert len(statements) == 2, statements
    assert {r.language for r in found.recipients} == {Language.TH, Language.EN}


async def test_resolve_members_reaches_given_members(seeded_database: Database) -> None:
    """Notifying chosen members (admins, an author) uses the same one-account rule."""
    async with seeded_database.sessions() as session, session.begin():
        admin = await add_member(
            session,
            "depa",
            Role.ADMIN,
            [line("70"), telegram("70")],
            last_channel=Channel.LINE,
        )
        await add_member(session, "depa", Role.ADMIN, [telegram("71")])
        found = await resolve_members(session=session, member_ids=[admin.id], channels=PUSH)
        nobody = await resolve_members(session=session, member_ids=[], channels=PUSH)
    assert [(r.member_id, r.channel) for r in found.recipients] == [(admin.id, Channel.LINE)]
    assert nobody.recipients == ()
