"""`citybot line richmenu`: menus made once, newcomers' menu the default, members' by role."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.channels.line.graphemes import count
from bot.channels.line.richmenu import RichMenuError, load_menus, sync_rich_menus
from bot.cli import cli
from bot.core.texts import Texts
from bot.settings import DEFAULT_CONTENT_DIR
from db.enums import Role
from tests.channels.line.conftest import LineHarness
from tests.conftest import InviteFactory
from tests.fakes.line_api import FakeLineApi
from tests.fakes.line_events import ACCESS_TOKEN, SECRET, user_id


@pytest.fixture(scope="module")
def menus_texts() -> Texts:
    """The real texts, for area labels."""
    return Texts.load(DEFAULT_CONTENT_DIR)


async def _onboard(line: LineHarness, make_invite: InviteFactory, org: str, role: Role) -> str:
    user = user_id()
    await line.deliver(line.events.follow(user))
    await line.says(user, await make_invite(org, role))
    await line.taps(user, "ยินยอม")
    return user


def _run_cli(line: LineHarness) -> str:
    env = {
        "DATABASE_URL": line.app.settings.database_url,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_BASE_URL": line.api.base_url,
        "LINE_DATA_API_BASE_URL": line.api.base_url,
    }
    result = CliRunner().invoke(cli, ["line", "richmenu"], env=env)
    assert result.exit_code == 0, result.output
    return result.output


async def test_richmenu_command_twice_sets_up_once_then_changes_nothing(
    line: LineHarness, make_invite: InviteFactory
) -> None:
    """Run 1: four menus, newcomers' default, members linked by role; run 2 writes nothing."""
    executive = await _onboard(line, make_invite, "khon-kaen", Role.EXECUTIVE)
    officer = await _onboard(line, make_invite, "khon-kaen", Role.OFFICER)
    coordinator = await _onboard(line, make_invite, "depa", Role.COORDINATOR)
    newcomer = user_id()
    await line.deliver(line.events.follow(newcomer))

    first = await asyncio.to_thread(_run_cli, line)
    api = line.api
    names = {menu["name"].split(":")[1]: key for key, menu in api.rich_menus.items()}
    assert set(names) == {"newcomers", "members", "partners", "leads", "staff"}
    assert set(api.rich_menu_images) == set(api.rich_menus)
    assert api.default_rich_menu == names["newcomers"]
    assert api.user_rich_menus == {
        executive: names["leads"],
        officer: names["members"],
        coordinator: names["staff"],
    }
    assert "linked 1 accounts to leads" in first
    assert "linked 1 accounts to staff" in first

    writes = len(api.writes)
    second = await asyncio.to_thread(_run_cli, line)
    assert "nothing to change" in second
    assert len(api.writes) == writes


async def test_every_area_is_a_command_postback_within_lines_limits(menus_texts: Texts) -> None:
    """Each area sends `1|cmd:NAME`, shows its Thai label, and the areas tile the image."""
    for menu in load_menus(DEFAULT_CONTENT_DIR, menus_texts):
        request = menu.as_request()
        assert count(request["chatBarText"]) <= 14
        assert len(request["name"]) <= 300
        covered = 0
        for area in request["areas"]:
            action = area["action"]
            assert action["data"].startswith("1|cmd:")
            assert 1 <= count(action["label"]) <= 20
            assert action["displayText"] == action["label"]
            covered += area["bounds"]["width"] * area["bounds"]["height"]
        assert covered == 2500 * 843


async def test_issue12_progress_is_on_every_menu_but_the_newcomers_and_the_partners(
    menus_texts: Texts,
) -> None:
    """City members and depa tap to /progress (depa to /behind too); partners see no progress."""
    commands = {
        menu.key: {area["action"]["data"] for area in menu.as_request()["areas"]}
        for menu in load_menus(DEFAULT_CONTENT_DIR, menus_texts)
    }
    with_progress = {key for key, data in commands.items() if "1|cmd:progress" in data}
    assert with_progress == {"members", "leads", "staff"}
    assert {key for key, data in commands.items() if "1|cmd:behind" in data} == {"staff"}


async def test_a_changed_menu_replaces_the_old_one_and_moves_its_users(
    line_api: FakeLineApi, menus_texts: Texts
) -> None:
    """A new image: a new menu, members moved to it, the old one deleted; again: nothing."""
    menus = load_menus(DEFAULT_CONTENT_DIR, menus_texts)
    officer, erased = user_id(), user_id()
    accounts: dict[str, Role | None] = {officer: Role.OFFICER, erased: None}
    from bot.channels.line.api import LineApi

    api = LineApi(
        access_token=ACCESS_TOKEN,
        base_url=line_api.base_url,
        data_base_url=line_api.base_url,
        timeout=5,
    )
    try:
        await sync_rich_menus(api=api, menus=menus, accounts=accounts)
        old_members = line_api.user_rich_menus[officer]
        line_api.user_rich_menus[erased] = old_members  # linked while still a member
        redrawn = [
            dataclasses.replace(m, image=m.image + b"\0") if m.key == "members" else m
            for m in menus
        ]
        report = await sync_rich_menus(api=api, menus=redrawn, accounts=accounts)
        assert [name.split(":")[1] for name in report.created] == ["members"]
        assert [name.split(":")[1] for name in report.deleted] == ["members"]
        assert old_members not in line_api.rich_menus
        assert line_api.user_rich_menus == {officer: report_id(line_api, "members")}
        assert report.unlinked == 1  # the erased member goes back to the default
        again = await sync_rich_menus(api=api, menus=redrawn, accounts=accounts)
        assert not again.changed
    finally:
        await api.close()


async def test_erased_members_return_to_the_default_and_hand_set_menus_stay(
    line_api: FakeLineApi, menus_texts: Texts
) -> None:
    """An account that is no longer a member is unlinked; a menu set by hand is not touched."""
    menus = load_menus(DEFAULT_CONTENT_DIR, menus_texts)
    erased, hand_set = user_id(), user_id()
    from bot.channels.line.api import LineApi

    api = LineApi(
        access_token=ACCESS_TOKEN,
        base_url=line_api.base_url,
        data_base_url=line_api.base_url,
        timeout=5,
    )
    try:
        await sync_rich_menus(api=api, menus=menus, accounts={erased: Role.PARTNER})
        line_api.user_rich_menus[hand_set] = "richmenu-campaign"
        report = await sync_rich_menus(
            api=api, menus=menus, accounts={erased: None, hand_set: None}
        )
        assert report.unlinked == 1
        assert line_api.user_rich_menus == {hand_set: "richmenu-campaign"}
    finally:
        await api.close()


def report_id(api: FakeLineApi, key: str) -> str:
    """The id of our menu `key` at the fake."""
    (menu_id,) = [k for k, m in api.rich_menus.items() if m["name"].split(":")[1] == key]
    return menu_id


def test_an_image_of_the_wrong_size_is_refused(tmp_path: Path, menus_texts: Texts) -> None:
    """LINE takes only images exactly the menu's size: caught before anything is sent."""
    folder = tmp_path / "line"
    folder.mkdir()
    source = DEFAULT_CONTENT_DIR / "line"
    (folder / "richmenu.yaml").write_text(
        (source / "richmenu.yaml").read_text(encoding="utf-8").replace("843", "1686"),
        encoding="utf-8",
    )
    for image in source.glob("*.png"):
        (folder / image.name).write_bytes(image.read_bytes())
    with pytest.raises(RichMenuError, match="2500×1686 PNG"):
        load_menus(tmp_path, menus_texts)


async def test_issue10_depa_staff_have_an_announce_tile(menus_texts: Texts) -> None:
    """Coordinators and admins see a menu with Announce; nobody else's menu offers it."""
    for menu in load_menus(DEFAULT_CONTENT_DIR, menus_texts):
        commands = {area["action"]["data"] for area in menu.request["areas"]}
        offers_announce = "1|cmd:announce" in commands
        staff = {Role.COORDINATOR, Role.ADMIN}
        assert offers_announce == (set(menu.roles) == staff), menu.key
