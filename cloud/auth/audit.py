"""The audit trail: every change to reservations, stays, folios, payments, invoices, prices and
restrictions, cards, staff and settings, recorded append-only and chained by hashes.

Two ways in, one log:

- ``audit(session, actor, action, ...)``: an explicit record (a card revoked, a set-up applied);
- the tables in ``TRACKED``: every ORM insert, update and delete of their rows is recorded by
  itself with the columns before and after (personal data named, never copied: see ``REDACTED``).
  Rows written by plain SQL statements are recorded by their writer with ``record_row``.

An entry is written in the transaction of the change it records, without a place in the chain;
the sealer (``cloud/auth/audit_seal.py``) gives committed entries their place in batches, under
a lock on the chain's head, moments later. So a booking pays one INSERT and never waits on
another transaction's commit, and two sealers never fork the chain. Who, role and address come
from the request's origin (``cloud.core.origin``); outside a request the actor is the system.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from cloud.auth.audit_chain import json_safe
from cloud.auth.models import AuditEntry
from cloud.auth.roles import Principal
from cloud.core import plain_inserts
from cloud.core.origin import current_origin
from mqtt.envelope import new_id, utcnow

# table -> the entity its rows are recorded as
TRACKED = {
    "reservations": "reservation", "room_allocations": "stay_room", "stay_credentials": "card",
    "billing_folios": "folio", "billing_charges": "charge", "billing_payments": "payment",
    "billing_invoices": "invoice", "rate_prices": "price", "rate_restrictions": "restriction",
    "staff_users": "staff", "group_blocks": "group_block", "long_stay_contracts": "contract",
    # settings of the property
    "properties": "property", "property_scopes": "property_scope", "floors": "floor", "rooms": "room",
    "room_types": "room_type", "rate_plans": "rate_plan", "card_areas": "card_area",
    "taxes": "tax", "tax_categories": "tax_category", "service_items": "service_item",
}
# columns whose values stay out of the log (personal data, secrets); that they changed is kept
REDACTED = frozenset({"guest_name", "guest_email", "guest_phone", "company_name", "password_hash",
                      "token_hash", "email", "phone", "name_enc", "email_enc", "phone_enc",
                      "guest_name_words", "guest_email_bidx", "guest_phone_bidx", "recipient", "signed_name"})
# columns whose changes alone are not worth an entry (counters of sign-in failures)
QUIET = {"staff_users": frozenset({"failures", "failure_window_start", "locked_until"})}


@dataclass(frozen=True, slots=True)
class Who:
    actor_id: str | None
    actor: str
    role: str | None
    address: str | None
    site: str | None


def who(actor: Principal | str | None = None, *, site: str | None = None) -> Who:
    """The actor named, else the request's signed-in principal, else the system."""
    origin = current_origin()
    address = origin.address if origin else None
    if isinstance(actor, Principal):
        return Who(actor.user_id, actor.username, actor.role.value, address, site or actor.site)
    if actor is not None:
        return Who(None, actor, None, address, site)
    if origin is not None and origin.actor is not None:
        return Who(origin.actor_id, origin.actor, origin.role, address, site or origin.site)
    return Who(None, "system", None, address, site)


def audit(session: Session, actor: Principal | str | None, action: str, entity: str, entity_id: str,
          detail: dict[str, Any] | None = None, *, site: str | None = None) -> AuditEntry | None:
    """Record who did ``action`` to ``entity``/``entity_id``, in the caller's transaction.

    ``actor`` is the signed-in principal, a name such as ``"system:checkout-job"``, or None for
    the request's principal. ``detail`` must be JSON-serialisable and should hold ids and changed
    field names, never personal data in clear. The entry added to the session, or None where a
    fast path queued it as a plain row (``plain_inserts``: no mapped object is built)."""
    values = _values(who(actor, site=site), action, entity, entity_id, detail)
    if plain_inserts.add_values(session, AuditEntry, values):  # a queue is open on fast paths only
        return None
    entry = AuditEntry(**values)
    session.add(entry)
    return entry


def _values(by: Who, action: str, entity: str, entity_id: str,
            detail: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": new_id(), "at": utcnow(), "actor_id": by.actor_id, "actor": by.actor[:100],
            "role": by.role, "address": by.address, "site": by.site, "action": action[:64],
            "entity": entity[:64], "entity_id": str(entity_id)[:64], "detail": json_safe(detail or {}),
            "seq": None, "prev_hash": None, "hash": None}


def record(session: Session, action: str, entity: str, entity_id: str, detail: dict[str, Any] | None = None,
           *, site: str | None = None) -> AuditEntry | None:
    """``audit`` by whoever makes the request (or the system)."""
    return audit(session, None, action, entity, entity_id, detail, site=site)


def record_row(session: Session, obj: Any, verb: str, *, site: str | None = None) -> None:
    """Record a tracked row that a plain SQL statement wrote (the unit of work never saw it)."""
    table = obj.__table__.name
    detail = _change(obj, verb, quiet=QUIET.get(table, frozenset()))
    if detail is not None:
        record(session, f"{TRACKED[table]}.{verb}", TRACKED[table], _entity_id(obj), detail, site=site)


def row_values(obj: Any) -> dict[str, Any]:
    """A mapped row's columns as the log keeps them (redacted ones as ``"[redacted]"``)."""
    state = inspect(obj)
    personal, loaded = _personal(state.mapper), state.dict
    return {key: _shown(key, loaded[key], personal) for key in _column_keys(state) if key in loaded}


def _column_keys(state: Any) -> tuple[str, ...]:
    """The mapped class's column attributes, in the order of its instances' ``attrs``."""
    mapper = state.mapper
    keys = _KEYS.get(mapper)
    if keys is None:
        keys = _KEYS[mapper] = tuple(attr.key for attr in state.attrs if attr.key in mapper.columns)
    return keys


_KEYS: dict[Any, tuple[str, ...]] = {}


@functools.cache
def _personal(mapper: Any) -> frozenset[str]:
    """Attributes kept out of the log: those named in REDACTED and every column whose type seals
    personal data (``cloud.guests.sealed``: staff notes, preferences, contacts)."""
    sealed = {key for key, column in mapper.columns.items()
              if getattr(column.type, "personal_data", False)}
    return REDACTED | sealed


def _shown(key: str, value: Any, personal: frozenset[str] = REDACTED) -> Any:
    if key in personal and value is not None:
        return "[redacted]"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _entity_id(obj: Any) -> str:
    identity = inspect(obj).mapper.primary_key_from_instance(obj)
    return ":".join(str(part) for part in identity)


def _capture(session: Session, _context: Any) -> None:
    """After a flush (new rows have their ids; what changed is still known): an entry for each
    tracked row inserted, changed or deleted, written in the same transaction."""
    rows = []
    for verb, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            table = getattr(getattr(obj, "__table__", None), "name", None)
            if table not in TRACKED:
                continue
            detail = _change(obj, verb, quiet=QUIET.get(table, frozenset()))
            if detail is not None:
                site = getattr(obj, "site", None)
                by = who(None, site=site if isinstance(site, str) else None)
                rows.append(_values(by, f"{TRACKED[table]}.{verb}", TRACKED[table], _entity_id(obj), detail))
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def _change(obj: Any, verb: str, *, quiet: frozenset[str]) -> dict[str, Any] | None:
    state = inspect(obj)
    if verb == "create":
        return {"after": {k: v for k, v in row_values(obj).items() if v is not None}}
    if verb == "delete":
        return {"before": row_values(obj)}
    before, after = {}, {}
    personal = _personal(state.mapper)
    for attr in state.attrs:
        if attr.key not in state.mapper.columns:
            continue
        history = attr.history
        if history.has_changes() and attr.key not in quiet:
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                before[attr.key] = _shown(attr.key, old, personal)
                after[attr.key] = _shown(attr.key, new, personal)
    return {"before": before, "after": after} if after else None


def content_of(entry: AuditEntry) -> dict[str, Any]:
    """What an entry's hash covers (``cloud.auth.audit_chain.FIELDS``)."""
    return {"seq": entry.seq, "at": entry.at, "actor_id": entry.actor_id, "actor": entry.actor,
            "role": entry.role, "address": entry.address, "site": entry.site, "action": entry.action,
            "entity": entry.entity, "entity_id": entry.entity_id, "detail": entry.detail}


# Every session of the process, whichever factory made it: tracked rows are recorded.
event.listen(Session, "after_flush", _capture)


def history(session: Session, *, entity: str, entity_id: str, limit: int = 200) -> list[AuditEntry]:
    """The newest entries about one entity first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
