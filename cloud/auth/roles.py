"""Staff roles and what each may see: plain rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    FRONT_DESK = "front_desk"
    HOUSEKEEPING = "housekeeping"
    MAINTENANCE = "maintenance"
    MANAGER = "manager"
    CHAIN_ADMIN = "chain_admin"
    STOREKEEPER = "storekeeper"  # the store rooms: stock, suppliers, purchase orders, nothing else
    SPA = "spa"  # a spa or facility attendant: the facilities and their bookings, nothing else


ALL_ROLES: frozenset[Role] = frozenset(Role)
# The roles that run the rooms and the front of house (the single-purpose roles are not among them).
HOUSE_ROLES: frozenset[Role] = ALL_ROLES - {Role.STOREKEEPER, Role.SPA}
# Who may read or change guests' personal data (names, documents, contacts, preferences).
GUEST_DATA_ROLES: frozenset[Role] = frozenset({Role.FRONT_DESK, Role.MANAGER, Role.CHAIN_ADMIN})
# Who may see rooms and telemetry.
ROOM_ROLES: frozenset[Role] = HOUSE_ROLES
# Who may manage staff accounts.
STAFF_ADMIN_ROLES: frozenset[Role] = frozenset({Role.MANAGER, Role.CHAIN_ADMIN})
# Where a role lands after signing in when it may not see the room board.
HOME_BY_ROLE: dict[Role, str] = {
    Role.STOREKEEPER: "/operations/inventory",
    Role.SPA: "/operations/facilities",
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in staff member as the rest of the cloud sees them."""

    user_id: str
    username: str
    display_name: str
    role: Role
    chain: str
    site: str | None  # None only for a chain administrator
    session_id: str | None = None  # set for portal sessions, None for API tokens
    csrf_token: str | None = None
    time_zone: str = "UTC"  # of the staff member's property, for display

    def sees_site(self, site: str, *, chain_of_site: str | None) -> bool:
        """Staff see their own property; a chain administrator every property of the chain."""
        if self.role is Role.CHAIN_ADMIN:
            return chain_of_site is not None and chain_of_site == self.chain
        return self.site == site

    def may(self, roles: frozenset[Role]) -> bool:
        return self.role in roles


def can_manage(actor: Principal, *, target_role: Role, target_site: str | None, target_chain: str) -> bool:
    """A manager manages non-admin staff of their property; a chain admin anyone in the chain."""
    if actor.role is Role.CHAIN_ADMIN:
        return target_chain == actor.chain
    if actor.role is Role.MANAGER:
        same_property = target_chain == actor.chain and target_site == actor.site
        return same_property and target_role is not Role.CHAIN_ADMIN
    return False
