"""The cloud's side of the node conflicts for staff: what each property node did offline that
waits for them (or was resolved by a rule), and marking one as handled."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy import select

from cloud.auth.deps import require_role
from cloud.auth.roles import GUEST_DATA_ROLES, Role
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, DbSession, ServicesDep, SessionDep
from cloud.core.errors import Conflict, DomainError, NotFound
from cloud.node import delegations
from cloud.node.conflicts import Action
from cloud.node.models import NodeOutcome
from cloud.node.store import findings_for_staff

router = APIRouter(
    prefix="/api/v1/nodes", tags=["property nodes"], dependencies=[require_role(*GUEST_DATA_ROLES)]
)
SITE = Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
EVENT = Path(pattern=r"^[0-9A-Za-z_-]{1,64}$")
NODE = Path(pattern=r"^[a-z0-9][a-z0-9-]{0,19}$")


class NodeConflictNotFound(NotFound):
    type_ = "/problems/node/conflict-not-found"


class NodeConflictClosed(Conflict):
    type_ = "/problems/node/conflict-closed"


class ConflictView(BaseModel):
    event_id: str
    node: str
    seq: int
    reservation_id: str
    held: bool  # False: applied, a rule resolved it (listed so staff see what differed)
    findings: list[dict[str, Any]]
    resolved_at: datetime | None


@router.get("/{site}/conflicts", response_model=list[ConflictView])
def list_conflicts(session: SessionDep, scope: SiteScopeDep, site: str = SITE) -> list[ConflictView]:
    scope.check(site)
    return [_view(row) for row in findings_for_staff(session, site=site)]


@router.post("/{site}/conflicts/{event_id}/resolved", response_model=ConflictView)
def resolve_conflict(
    session: DbSession, clock: ClockDep, scope: SiteScopeDep, site: str = SITE, event_id: str = EVENT
) -> ConflictView:
    """Staff handled a held operation by hand (moved the online booking, re-booked the guest)."""
    scope.check(site)
    row = session.scalar(
        select(NodeOutcome).where(NodeOutcome.site == site, NodeOutcome.event_id == event_id)
    )
    if row is None:
        raise NodeConflictNotFound(f"no node operation {event_id} at {site}")
    if row.action != Action.HOLD.value or row.resolved_at is not None:
        raise NodeConflictClosed(f"operation {event_id} is not waiting for staff")
    row.resolved_at = clock()
    session.flush()
    return _view(row)


def _view(row: NodeOutcome) -> ConflictView:
    return ConflictView(
        event_id=row.event_id,
        node=row.node,
        seq=row.seq,
        reservation_id=row.reservation_id,
        held=row.action == Action.HOLD.value,
        findings=row.findings,
        resolved_at=row.resolved_at,
    )


class NodeKeysIn(BaseModel):
    """The node's public keys, as ``posada property-node`` logs them at start."""

    key_id: int = Field(ge=0xF000, le=0xFFFF, description="the card key's id, 0xF000-0xFFFF")
    public_key: str = Field(pattern=r"^[A-Za-z0-9_-]{43}$", description="Ed25519, base64url")
    seal_key: str = Field(pattern=r"^[A-Za-z0-9_-]{43}$", description="X25519, base64url")


class DelegationView(BaseModel):
    node: str
    key_id: int
    valid_from: datetime
    valid_until: datetime


class NodeSiteNotFound(NotFound):
    type_ = "/problems/node/site-not-found"


class NodeKeyConflict(Conflict):
    type_ = "/problems/node/key-in-force"


class NodeKeyInvalid(DomainError):
    status = 422
    type_ = "/problems/node/key-invalid"
    title = "Invalid key"


@router.put(
    "/{site}/{node}/keys",
    response_model=DelegationView,
    dependencies=[require_role(Role.MANAGER, Role.CHAIN_ADMIN)],
)
def register_keys(
    body: NodeKeysIn,
    session: DbSession,
    services: ServicesDep,
    clock: ClockDep,
    scope: SiteScopeDep,
    site: str = SITE,
    node: str = NODE,
) -> DelegationView:
    """Register a node's keys: its card key is delegated at once (the site's gateways are told
    through the command outbox, the node within a round) and renewed by the cloud after."""
    scope.check(site)
    now = clock()
    try:
        Ed25519PublicKey.from_public_bytes(_raw(body.public_key))
        X25519PublicKey.from_public_bytes(_raw(body.seal_key))
    except ValueError as exc:
        raise NodeKeyInvalid(f"not a public key: {exc}") from None
    keys = delegations.NodeKeys(key_id=body.key_id, public_key=body.public_key, seal_key=body.seal_key)
    try:
        command = delegations.register(
            session,
            services.keys.load_or_create(now=now - timedelta(minutes=5)),
            site=site,
            node=node,
            keys=keys,
            now=now,
        )
    except LookupError as exc:
        raise NodeSiteNotFound(str(exc)) from None
    except ValueError as exc:
        raise NodeKeyConflict(str(exc)) from None
    session.flush()
    return DelegationView(
        node=node, key_id=command.key_id, valid_from=command.valid_from, valid_until=command.valid_until
    )


def _raw(b64: str) -> bytes:
    return base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
