"""The audit log: every change to a reservation, payment, card, guest or staff account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.models import AuditEntry
from cloud.auth.roles import Principal
from mqtt.envelope import new_id, utcnow


def audit(
    session: Session,
    actor: Principal | str,
    action: str,
    entity: str,
    entity_id: str,
    detail: dict[str, Any] | None = None,
    *,
    site: str | None = None,
) -> AuditEntry:
    """Record who did ``action`` to ``entity``/``entity_id``, in the caller's transaction.

    ``actor`` is the signed-in principal, or a name such as ``"system:checkout-job"``.
    ``detail`` must be JSON-serialisable and should hold ids and changed field names,
    never personal data in clear.
    """
    if isinstance(actor, Principal):
        actor_id, actor_name, site = actor.user_id, actor.username, site or actor.site
    else:
        actor_id, actor_name = None, actor
    entry = AuditEntry(
        id=new_id(), at=utcnow(), actor_id=actor_id, actor=actor_name[:100], site=site,
        action=action[:64], entity=entity[:64], entity_id=str(entity_id)[:64], detail=detail or {},
    )
    session.add(entry)
    return entry


def history(session: Session, *, entity: str, entity_id: str, limit: int = 200) -> list[AuditEntry]:
    """The newest entries about one entity first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
