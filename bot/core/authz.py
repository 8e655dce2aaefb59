"""Who may use a route: declared next to each route, checked once by the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

from db.enums import Role
from db.models import Member


@dataclass(frozen=True, slots=True)
class Access:
    """A route's audience: anyone, any registered member, or members with certain roles."""

    registered: bool
    roles: frozenset[Role] | None = None

    def allows(self, member: Member | None) -> bool:
        """Whether `member` (None for a newcomer) may use the route."""
        if not self.registered:
            return True
        if member is None:
            return False
        return self.roles is None or member.role in self.roles


ANYONE = Access(registered=False)
MEMBERS = Access(registered=True)
CITY_TEAM = Access(registered=True, roles=frozenset({Role.EXECUTIVE, Role.OFFICER}))
DEPA_STAFF = Access(registered=True, roles=frozenset({Role.COORDINATOR, Role.ADMIN}))
ADMINS = Access(registered=True, roles=frozenset({Role.ADMIN}))
# Cities and firms: everyone but depa, for the answers that tell them a route is depa's.
NOT_DEPA = Access(registered=True, roles=frozenset({Role.EXECUTIVE, Role.OFFICER, Role.PARTNER}))


def roles(*allowed: Role) -> Access:
    """Access for members holding one of `allowed`."""
    return Access(registered=True, roles=frozenset(allowed))
