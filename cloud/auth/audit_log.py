"""Reading the audit trail: filtered pages for managers, CSV export, and the chain's check."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from cloud.auth.audit import content_of
from cloud.auth.audit_chain import Broken, Verified, verify
from cloud.auth.models import AuditEntry, AuditHead, StaffUser

BATCH = 2000
CSV_FIELDS = ("seq", "at", "actor", "role", "address", "site", "action", "entity", "entity_id", "detail",
              "hash")


@dataclass(frozen=True, slots=True)
class AuditFilter:
    sites: tuple[str, ...] | None = None  # None: every property (and entries of none)
    unsited: bool = False  # with ``sites``: entries of no property too (see ``chain``)
    chain: str | None = None  # with ``unsited``: only those made by staff of this chain
    actor: str | None = None
    action: str | None = None  # a prefix: "reservation." or "reservation.update"
    entity: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _unsited(where: AuditFilter) -> Any:
    """Entries of no property (a chain administrator's own work, staff accounts): with a chain,
    only those whose actor is a staff member of that chain, so one chain never reads another's."""
    unsited = AuditEntry.site.is_(None)
    if where.chain is None:
        return unsited
    ours = select(StaffUser.id).where(StaffUser.chain == where.chain)
    return and_(unsited, AuditEntry.actor_id.in_(ours))


def search(session: Session, where: AuditFilter, *, limit: int = 200,
           before_seq: int | None = None) -> list[AuditEntry]:
    """Entries matching ``where``, newest first (those not sealed yet before all others);
    ``before_seq`` pages further back."""
    query = select(AuditEntry)
    if where.sites is not None:
        in_sites = AuditEntry.site.in_(where.sites)
        query = query.where(or_(in_sites, _unsited(where)) if where.unsited else in_sites)
    if where.actor:
        query = query.where(or_(AuditEntry.actor == where.actor, AuditEntry.actor_id == where.actor))
    if where.action:
        query = query.where(AuditEntry.action.startswith(where.action, autoescape=True))
    if where.entity:
        query = query.where(AuditEntry.entity == where.entity)
    if where.entity_id:
        query = query.where(AuditEntry.entity_id == where.entity_id)
    if where.since:
        query = query.where(AuditEntry.at >= where.since)
    if where.until:
        query = query.where(AuditEntry.at < where.until)
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    order = (AuditEntry.seq.desc().nulls_first(), AuditEntry.at.desc(), AuditEntry.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


def as_csv(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """CSV lines (a header first); the detail as JSON in one cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for entry in entries:
        seq = "" if entry.seq is None else entry.seq
        writer.writerow([seq, entry.at.isoformat(), entry.actor, entry.role or "", entry.address or "",
                         entry.site or "", entry.action, entry.entity, entry.entity_id,
                         json.dumps(entry.detail, ensure_ascii=False, sort_keys=True), entry.hash or ""])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def _chained(session: Session) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        batch = list(session.scalars(select(AuditEntry).where(AuditEntry.seq > last)
                                     .order_by(AuditEntry.seq).limit(BATCH)))
        for entry in batch:
            yield {**content_of(entry), "prev_hash": entry.prev_hash, "hash": entry.hash}
        if len(batch) < BATCH:
            return
        last = batch[-1].seq or last


def verify_log(session: Session) -> Verified | Broken:
    """Walk the whole chain from its first entry to the recorded head."""
    head = session.get(AuditHead, 1)
    return verify(_chained(session), head=(head.seq, head.hash) if head else None)


def unsealed_count(session: Session) -> int:
    """Entries not yet given their place in the chain (the sealer runs every second or so)."""
    return int(session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.seq.is_(None)))
               or 0)
