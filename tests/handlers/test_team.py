"""Invites from chat, and the role rules declared on routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select

from db.enums import Role
from db.models import Invite
from tests.chatdriver import ChatDriver
from tests.conftest import Database

Register = Callable[..., Awaitable[ChatDriver]]


async def test_officer_and_partner_are_denied_invites(register: Register) -> None:
    """Roles without the right get a polite refusal in their language."""
    officer = await register("bangkok", Role.OFFICER)
    await officer.send("/invite")
    assert "ไม่มีสิทธิ์" in officer.text
    await officer.send("/lang en")
    await officer.send("/invite")
    assert "your role cannot use this command" in officer.text


async def test_newcomer_is_asked_to_register_first(new_chat: Callable[..., ChatDriver]) -> None:
    """A members-only command from a newcomer explains how to register."""
    chat = new_chat("u-new")
    await chat.send("/whoami")
    assert "สำหรับสมาชิกโครงการเท่านั้น" in chat.text


async def test_executive_invites_an_officer_of_their_city(
    register: Register, seeded_database: Database, new_chat: Callable[..., ChatDriver]
) -> None:
    """An executive's /invite makes a working officer code for their own city."""
    executive = await register("saen-suk", Role.EXECUTIVE)
    await executive.send("/invite")
    code = executive.text.split("\n")[0].rsplit(" ", 1)[-1]
    async with seeded_database.sessions() as session:
        invite = await session.scalar(select(Invite).where(Invite.code == code))
    assert invite is not None and invite.role is Role.OFFICER
    officer = new_chat("u-officer")
    await officer.send(code)
    assert "แสนสุข" in officer.text and "เจ้าหน้าที่เมือง" in officer.text


async def test_coordinator_invites_with_validation(register: Register) -> None:
    """depa staff name the organisation and role; misfits are explained."""
    coordinator = await register("depa", Role.COORDINATOR)
    await coordinator.send("/invite")
    assert "วิธีใช้" in coordinator.text
    await coordinator.send("/invite atlantis officer")
    assert "ไม่พบหน่วยงาน atlantis" in coordinator.text
    await coordinator.send("/invite khon-kaen coordinator")
    assert "ไม่เข้ากับประเภทหน่วยงาน" in coordinator.text
    await coordinator.send("/invite depa admin")
    assert "ไม่มีสิทธิ์" in coordinator.text
    await coordinator.send("/invite khon-kaen executive")
    assert "สร้างรหัสเชิญแล้ว" in coordinator.text


async def test_issue10_executive_asking_for_other_roles_is_told_what_they_may(
    register: Register, seeded_database: Database
) -> None:
    """An executive's `/invite depa admin` creates nothing, says why and offers an officer code."""
    executive = await register("saen-suk", Role.EXECUTIVE)
    await executive.send("/invite depa admin")
    assert "เชิญได้เฉพาะเจ้าหน้าที่ของ เมืองแสนสุข" in executive.text
    async with seeded_database.sessions() as session:
        assert (
            list(
                await session.scalars(
                    select(Invite).where(Invite.created_by_member_id.is_not(None))
                )
            )
            == []
        )
    await executive.choose("สร้างรหัสเชิญเจ้าหน้าที่")
    assert "สร้างรหัสเชิญแล้ว" in executive.text
    await executive.send("/invite officer")
    assert "สร้างรหัสเชิญแล้ว" in executive.text
