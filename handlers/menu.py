"""The role's main menu: what a member sees after registering and when asking for help.

Shared chat views, not a feature: onboarding, account and help all end with this menu.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.payloads import Command
from bot.core.replies import MAX_CHOICES, Choice, Choices
from db.enums import Role

# Every member's menu ends with their own account's commands.
ACCOUNT = ("whoami", "link", "calendar", "lang", "help")
# depa's coordinators and admins share one menu; its first MAX_CHOICES are its buttons (the
# platforms' ceiling), all of it is the list `/help` shows.
DEPA_MENU = (
    "progress",
    "behind",
    "submissions",
    "tickets",
    "offers",
    "partners",
    "announce",
    "dashboard",
    "deadlines",
    "materials",
    "invite",
    "calendar",
    "help",
    "lang",
    "whoami",
    "link",
)
# A city team's own menu (an executive adds /invite).
CITY_MENU = ("progress", "deadlines", "submit", "partners", "materials", "ask")
# Commands offered, by role; every one is a real command of some router.
MENU_COMMANDS: dict[Role | None, tuple[str, ...]] = {
    None: ("start", "lang", "help"),
    Role.EXECUTIVE: (*CITY_MENU, "invite", "dashboard", *ACCOUNT),
    Role.OFFICER: (*CITY_MENU, *ACCOUNT),
    Role.PARTNER: ("offer", "myoffers", "deadlines", "materials", "ask", *ACCOUNT),
    Role.COORDINATOR: DEPA_MENU,
    Role.ADMIN: DEPA_MENU,
}


def menu_commands(ctx: Context) -> tuple[str, ...]:
    """The commands this person's role can use, in menu order."""
    return MENU_COMMANDS[ctx.member.role if ctx.member else None]


def main_menu(ctx: Context, text: str) -> Choices:
    """`text` followed by the role's menu as buttons."""
    return Choices(
        text=text,
        options=tuple(
            Choice(label=ctx.t(f"commands.{name}.label"), payload=Command(name).pack())
            for name in menu_commands(ctx)[:MAX_CHOICES]
        ),
    )


def command_list(ctx: Context) -> str:
    """One line per command this person may use."""
    return "\n".join(ctx.t(f"commands.{name}.help") for name in menu_commands(ctx))


def role_name(ctx: Context, role: Role) -> str:
    """A role as people call it, in their language."""
    return ctx.t(f"roles.{role.value}")
