"""LINE rich menus: one for newcomers (the default) and one per group of roles, kept in sync.

`citybot line richmenu` reads content/line/richmenu.yaml and the images beside it and makes LINE
match, touching only what differs, so running it twice changes nothing the second time:
- a menu's name carries a hash of its definition and image: an unchanged menu is found by name
  and kept, a changed one is created anew (LINE cannot edit a menu) and the old one deleted once
  nobody is linked to it;
- the newcomers' menu is made the default unless it already is;
- each account on LINE is linked to its role's menu, or back to the default, only where LINE
  says it has another menu now (bulk requests of at most 500 accounts).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import struct
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot.channels.line import graphemes
from bot.channels.line.render import MAX_LABEL, postback_data
from bot.core.payloads import Command
from bot.core.texts import Texts
from db.enums import Language, Role

if TYPE_CHECKING:
    from bot.channels.line.api import LineApi

NAME_PREFIX = "citybot:"
MAX_CHAT_BAR = 14
MAX_AREAS = 20
MAX_IMAGE_BYTES = 1024 * 1024
BULK_LIMIT = 500
LOOKUP_CONCURRENCY = 8
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class RichMenuError(ValueError):
    """The rich menu definition or its image cannot be used; the message says why."""


@dataclass(frozen=True)
class MenuSpec:
    """One rich menu as we want LINE to have it."""

    key: str
    roles: frozenset[Role]
    request: dict[str, Any]  # LINE's rich menu object, without its name
    image: bytes

    @property
    def name(self) -> str:
        """`citybot:KEY:HASH`: the hash changes whenever the menu or its image does."""
        document = json.dumps(self.request, sort_keys=True, ensure_ascii=False).encode()
        digest = hashlib.sha256(document + self.image).hexdigest()[:12]
        return f"{NAME_PREFIX}{self.key}:{digest}"

    def as_request(self) -> dict[str, Any]:
        """The create request LINE takes."""
        return {**self.request, "name": self.name}


@dataclass
class SyncReport:
    """What one run changed at LINE."""

    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    default_set: str | None = None
    linked: dict[str, int] = field(default_factory=dict)
    unlinked: int = 0
    kept: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything at LINE was changed."""
        return bool(
            self.created or self.deleted or self.default_set or self.linked or self.unlinked
        )

    def lines(self) -> list[str]:
        """The report for an operator, one fact per line."""
        lines = [f"created menu {name}" for name in self.created]
        lines += [f"kept menu {name}" for name in self.kept]
        if self.default_set:
            lines.append(f"default menu is now {self.default_set}")
        lines += [f"linked {count} accounts to {key}" for key, count in self.linked.items()]
        if self.unlinked:
            lines.append(f"returned {self.unlinked} accounts to the default menu")
        lines += [f"deleted old menu {name}" for name in self.deleted]
        if not self.changed:
            lines.append("nothing to change: LINE's rich menus are up to date")
        return lines


def _png_size(image: bytes) -> tuple[int, int]:
    if not image.startswith(_PNG_SIGNATURE) or image[12:16] != b"IHDR":
        raise RichMenuError("a rich menu image must be a PNG file")
    width, height = struct.unpack(">II", image[16:24])
    return int(width), int(height)


def _areas(rows: Sequence[Sequence[str]], width: int, height: int, texts: Texts) -> list[Any]:
    """Tappable areas in a grid: equal rows, each row split into equal cells."""
    areas: list[dict[str, Any]] = []
    for r, row in enumerate(rows):
        top, bottom = height * r // len(rows), height * (r + 1) // len(rows)
        for c, command in enumerate(row):
            key = f"commands.{command}.label"
            if not texts.has(key):
                raise RichMenuError(f"richmenu.yaml: no text {key} for the command {command!r}")
            label = texts.get(Language.TH, key)
            left, right = width * c // len(row), width * (c + 1) // len(row)
            areas.append(
                {
                    "bounds": {"x": left, "y": top, "width": right - left, "height": bottom - top},
                    "action": {
                        "type": "postback",
                        "label": graphemes.cut(label, MAX_LABEL),
                        "data": postback_data(Command(command).pack()),
                        "displayText": label,
                    },
                }
            )
    if not 1 <= len(areas) <= MAX_AREAS:
        raise RichMenuError(f"a rich menu takes 1 to {MAX_AREAS} areas, got {len(areas)}")
    return areas


def load_menus(content_dir: Path, texts: Texts) -> list[MenuSpec]:
    """The menus of content/line/richmenu.yaml, checked against LINE's rules."""
    folder = content_dir / "line"
    try:
        document = yaml.safe_load((folder / "richmenu.yaml").read_text(encoding="utf-8"))
        width, height = int(document["size"]["width"]), int(document["size"]["height"])
        chat_bar = str(document["chat_bar"])
        menus: Mapping[str, Any] = document["menus"]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as error:
        raise RichMenuError(f"content/line/richmenu.yaml cannot be read: {error}") from None
    if graphemes.count(chat_bar) > MAX_CHAT_BAR:
        raise RichMenuError(f"chat_bar {chat_bar!r} is longer than {MAX_CHAT_BAR} characters")
    specs: list[MenuSpec] = []
    for key, menu in menus.items():
        try:
            image = (folder / str(menu["image"])).read_bytes()
            roles = frozenset(Role(role) for role in menu.get("roles", ()))
        except (OSError, KeyError, ValueError) as error:
            raise RichMenuError(f"richmenu.yaml: menu {key!r}: {error}") from None
        if _png_size(image) != (width, height) or len(image) > MAX_IMAGE_BYTES:
            raise RichMenuError(f"{menu['image']}: must be a {width}×{height} PNG under 1 MB")
        request = {
            "size": {"width": width, "height": height},
            "selected": False,
            "chatBarText": chat_bar,
            "areas": _areas(menu["rows"], width, height, texts),
        }
        specs.append(MenuSpec(key=str(key), roles=roles, request=request, image=image))
    defaults = [spec for spec in specs if not spec.roles]
    if len(defaults) != 1:
        raise RichMenuError("richmenu.yaml: exactly one menu (the newcomers') has no roles")
    taken = [role for spec in specs for role in spec.roles]
    if len(taken) != len(set(taken)):
        raise RichMenuError("richmenu.yaml: a role is listed under two menus")
    return specs


async def sync_rich_menus(
    *, api: LineApi, menus: Sequence[MenuSpec], accounts: Mapping[str, Role | None]
) -> SyncReport:
    """Make LINE's rich menus, default and links match `menus` for `accounts` (user id → role)."""
    report = SyncReport()
    existing = {menu.name: menu.rich_menu_id for menu in await api.rich_menus()}
    ids: dict[str, str] = {}
    for spec in menus:
        if spec.name in existing:
            ids[spec.key] = existing[spec.name]
            report.kept.append(spec.name)
            continue
        menu_id = await api.create_rich_menu(spec.as_request())
        await api.upload_rich_menu_image(menu_id, spec.image)
        ids[spec.key] = menu_id
        report.created.append(spec.name)

    default = next(spec for spec in menus if not spec.roles)
    if await api.default_rich_menu() != ids[default.key]:
        await api.set_default_rich_menu(ids[default.key])
        report.default_set = default.name

    ours = {menu_id for name, menu_id in existing.items() if name.startswith(NAME_PREFIX)}
    ours |= set(ids.values())
    by_role = {role: ids[spec.key] for spec in menus for role in spec.roles}
    wanted = {user: by_role.get(role) if role else None for user, role in accounts.items()}
    current = await _current_links(api, list(wanted))
    to_link: dict[str, list[str]] = defaultdict(list)
    to_unlink: list[str] = []
    for user, wanted_id in wanted.items():
        if current[user] == wanted_id:
            continue
        if wanted_id is not None:
            to_link[wanted_id].append(user)
        elif current[user] in ours:  # a menu someone set by hand is left alone
            to_unlink.append(user)
    keys = {menu_id: key for key, menu_id in ids.items()}
    for menu_id, users in to_link.items():
        for start in range(0, len(users), BULK_LIMIT):
            await api.link_rich_menu(menu_id, users[start : start + BULK_LIMIT])
        report.linked[keys[menu_id]] = len(users)
    for start in range(0, len(to_unlink), BULK_LIMIT):
        await api.unlink_rich_menu(to_unlink[start : start + BULK_LIMIT])
    report.unlinked = len(to_unlink)

    for name, menu_id in existing.items():
        if name.startswith(NAME_PREFIX) and menu_id not in ids.values():
            await api.delete_rich_menu(menu_id)
            report.deleted.append(name)
    return report


async def _current_links(api: LineApi, users: Sequence[str]) -> dict[str, str | None]:
    """The menu LINE shows each user now (None: the default), asked a few at a time."""
    limit = asyncio.Semaphore(LOOKUP_CONCURRENCY)

    async def one(user: str) -> tuple[str, str | None]:
        async with limit:
            return user, await api.user_rich_menu(user)

    return dict(await asyncio.gather(*(one(user) for user in users)))
