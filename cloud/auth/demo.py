"""Demo logins: one staff member per role for the demo property (site ``hotel``)."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.accounts import create_staff, ensure_property
from cloud.auth.models import PropertyScope, StaffUser
from cloud.auth.passwords import Passwords
from cloud.auth.roles import Role

DEMO_SITE, DEMO_CHAIN = "hotel", "posada-demo"
NAMES = {Role.FRONT_DESK: "Front Desk", Role.HOUSEKEEPING: "Housekeeping", Role.MAINTENANCE: "Maintenance",
         Role.MANAGER: "Manager", Role.CHAIN_ADMIN: "Chain Administrator", Role.STOREKEEPER: "Storekeeper",
         Role.SPA: "Spa Attendant"}


def seed_demo_staff(session: Session, *, passwords: Passwords,
                    time_zone: str = "Europe/Madrid") -> list[tuple[str, str, str]]:
    """Create (or reset) one account per role; returns ``(username, password, role)`` to print.

    Passwords are fresh random values each run, so a demo database never has known logins.
    """
    prop = session.get(PropertyScope, DEMO_SITE) or ensure_property(
        session, site=DEMO_SITE, chain=DEMO_CHAIN, name="Posada Demo Hotel", time_zone=time_zone)
    logins: list[tuple[str, str, str]] = []
    for role, name in NAMES.items():
        username = f"demo-{role.value.replace('_', '-')}"
        password = secrets.token_urlsafe(12)
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None:
            site = None if role is Role.CHAIN_ADMIN else DEMO_SITE
            create_staff(session, actor="system:demo", passwords=passwords, username=username,
                         display_name=name, password=password, role=role, site=site, chain=prop.chain)
        else:
            user.password_hash, user.active, user.failures, user.locked_until = (
                passwords.hash(password), True, 0, None)
        logins.append((username, password, role.value))
    session.flush()
    return logins
