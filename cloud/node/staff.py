"""The desk's staff as a node's replica carries them: who may sign in at the node (active front
desk staff and managers of the property, and the administrators of its chain), each with the
argon2id hash of their password sealed for that node, and the cloud's session and throttling
rules. Without a link to the node (its sealing key not registered) nobody is sent: a hash never
travels in clear.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloud.auth.models import PropertyScope, StaffUser
from cloud.auth.roles import Role
from cloud.auth.settings import AuthSettings
from cloud.node.seal import LinkCipher, staff_context
from mqtt.node_messages import ReplicaAccess, ReplicaStaff

DESK_ROLES = (Role.FRONT_DESK, Role.MANAGER)


def desk_access(
    session: Session, *, site: str, node: str, sealer: LinkCipher | None, settings: AuthSettings
) -> ReplicaAccess:
    rules = ReplicaAccess(
        session_lifetime_minutes=settings.session_lifetime_minutes,
        session_idle_minutes=settings.session_idle_minutes,
        lockout_threshold=settings.lockout_threshold,
        lockout_window_minutes=settings.lockout_window_minutes,
        first_wait_seconds=settings.signin_first_wait_seconds,
        account_longest_wait_seconds=settings.signin_account_longest_wait_seconds,
        address_threshold=settings.signin_address_threshold,
        address_longest_wait_seconds=settings.signin_address_longest_wait_seconds,
    )
    if sealer is None:
        return rules
    chain = session.scalar(select(PropertyScope.chain).where(PropertyScope.site == site))
    users = session.scalars(
        select(StaffUser)
        .where(
            StaffUser.active.is_(True),
            or_(
                (StaffUser.site == site) & StaffUser.role.in_([r.value for r in DESK_ROLES]),
                (StaffUser.role == Role.CHAIN_ADMIN.value) & (StaffUser.chain == (chain or "")),
            ),
        )
        .order_by(StaffUser.username)
    )
    staff = [
        ReplicaStaff(
            username=user.username,
            display_name=user.display_name[:200],
            role=user.role,  # type: ignore[arg-type]
            site=user.site,
            password_sealed=sealer.seal(
                user.password_hash, context=staff_context(site, node, user.username), stable=True
            ),
        )
        for user in users
        if chain is not None or user.role != Role.CHAIN_ADMIN.value
    ]
    return rules.model_copy(update={"staff": staff})
