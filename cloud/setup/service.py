"""Set up a property from its document: export it, plan a change, apply it (all or nothing, audited)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.auth.accounts import ensure_property
from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.catalog.models import Property, Room
from cloud.core.clock import utcnow
from cloud.core.errors import DomainError
from cloud.reservations.models import RoomAllocation
from cloud.setup import checks, exporting, guards
from cloud.setup.diff import Change, Diff, compare
from cloud.setup.document import PropertyDocument
from cloud.setup.errors import Problem, SetupInvalid
from cloud.setup.target import Target
from cloud.setup.writing import write

__all__ = ["Diff", "apply", "export", "plan"]


def export(session: Session, site: str, *, now: datetime | None = None) -> PropertyDocument:
    """The property as a document (out-of-order periods still to end, in its local calendar)."""
    prop = exporting.find_property(session, site)
    today = _today(prop.timezone if prop else "UTC", now)
    return exporting.export(session, site, today=today)


def plan(session: Session, document: PropertyDocument, *, now: datetime | None = None) -> Diff:
    """What applying ``document`` would change; SetupInvalid with every problem if it cannot."""
    diff, _target = _plan(session, document, now=now)
    return diff


def apply(
    session: Session, document: PropertyDocument, actor: Principal | str, *, now: datetime | None = None
) -> Diff:
    """Make the property what ``document`` says, in the caller's transaction: every change or none.

    Idempotent: applying the exported document changes nothing. The caller commits; on any
    error nothing of it was written (it runs in a savepoint).
    """
    diff, target = _plan(session, document, now=now)
    if diff.empty:
        return diff
    try:
        with session.begin_nested():
            write(target, list(diff.changes))
            ensure_property(
                session,
                site=document.property.site,
                chain=document.property.chain,
                name=document.property.name,
                time_zone=document.property.time_zone,
                currency=document.property.currency,
            )
            session.flush()
    except IntegrityError as exc:
        raise SetupInvalid([Problem("", f"the database refused the change: {_reason(exc)}")]) from exc
    except DomainError as exc:
        raise SetupInvalid([Problem("", exc.detail)]) from exc
    audit(
        session,
        actor,
        "setup.apply",
        "property",
        document.property.site,
        {"changes": [c.as_json() for c in diff.changes]},
        site=document.property.site,
    )
    return diff


def _plan(session: Session, document: PropertyDocument, *, now: datetime | None) -> tuple[Diff, Target]:
    problems = checks.check(document)
    prop = exporting.find_property(session, document.property.site)
    today = _today(document.property.time_zone if prop is None else prop.timezone, now)
    before = exporting.export(session, prop.slug, today=today) if prop is not None else None
    diff = _retirements(session, compare(before, document))
    if not problems:
        problems.extend(guards.guard(session, prop, document, diff, today=today))
    if problems:
        raise SetupInvalid(problems)
    target = Target(session=session, doc=document, today=today, prop=prop)
    if prop is not None:
        target.load()
    return diff, target


def _retirements(session: Session, diff: Diff) -> Diff:
    """A removed room that ever held a stay or a period is retired, not deleted: say so."""
    changes: list[Change] = []
    for change in diff.changes:
        if change.section == "rooms" and change.action == "delete":
            held = session.scalar(
                select(
                    exists().where(
                        RoomAllocation.room_id == Room.id,
                        Room.slug == change.key,
                        Room.property_id == Property.id,
                        Property.slug == diff.site,
                    )
                )
            )
            if held and change.before and change.before.get("retired_from"):
                continue  # retired already: kept as it is
            if held:
                change = Change("retire", change.section, change.key, change.before, change.before)
        changes.append(change)
    return Diff(diff.site, tuple(changes))


def _today(zone: str, now: datetime | None) -> date:
    try:
        tz = ZoneInfo(zone)
    except (ValueError, KeyError):
        tz = ZoneInfo("UTC")
    return (now or utcnow()).astimezone(tz).date()


def _reason(exc: IntegrityError) -> str:
    return str(exc.orig).splitlines()[0][:300] if exc.orig is not None else "constraint"
