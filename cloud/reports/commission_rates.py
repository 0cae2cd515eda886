"""The channels' commission rates over time: a change applies from its date on, and a reservation
pays the rate in force on the local date it was booked (docs/reports.md#commissions).

Before a channel's first dated change, its rate is the one on the channel registry
(``channels.commission_bp``). Every change is checked whole before anything is written, and
audited with the rate before and after."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.catalog.models import Property
from cloud.channels.models import Channel
from cloud.core.nights import FIRST, LAST
from cloud.i18n.labels import N_
from cloud.reports.errors import InvalidReport, UnknownChannel, UnknownProperty
from cloud.reports.models import CommissionRate

MAX_BP = 10_000


@dataclass
class Rates:
    """One channel's rates: ``base_bp`` before the first change, then each change from its date."""

    base_bp: int
    changes: list[tuple[date, int]] = field(default_factory=list)  # sorted by date

    def on(self, day: date) -> int:
        """The rate in force on ``day``."""
        at = bisect.bisect_right(self.changes, (day, MAX_BP + 1))
        return self.changes[at - 1][1] if at else self.base_bp


@dataclass(frozen=True, slots=True)
class ChannelRates:
    code: str
    name: str
    rates: Rates
    changes: list[CommissionRate]


def rates_of(session: Session, channel_ids: Iterable[int]) -> dict[int, Rates]:
    """Channel id -> its rates, read in two statements."""
    ids = sorted(set(channel_ids))
    found = {cid: Rates(int(bp)) for cid, bp in session.execute(
        select(Channel.id, Channel.commission_bp).where(Channel.id.in_(ids)))}
    for cid, since, bp in session.execute(
            select(CommissionRate.channel_id, CommissionRate.effective_from, CommissionRate.rate_bp)
            .where(CommissionRate.channel_id.in_(ids))
            .order_by(CommissionRate.channel_id, CommissionRate.effective_from)):
        found[cid].changes.append((since, int(bp)))
    return found


def _property(session: Session, site: str) -> Property:
    prop = session.scalar(select(Property).where(Property.slug == site))
    if prop is None:
        raise UnknownProperty(f"no property {site!r}")
    return prop


def _channel(session: Session, prop: Property, code: str, *, lock: bool = False) -> Channel:
    query = select(Channel).where(Channel.property_id == prop.id, Channel.code == code)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise UnknownChannel(f"no channel {code!r} at {prop.slug}")
    return found


def history(session: Session, *, site: str) -> list[ChannelRates]:
    """Every channel of the property with its registry rate and its dated changes."""
    prop = _property(session, site)
    channels = list(session.scalars(
        select(Channel).where(Channel.property_id == prop.id).order_by(Channel.code)))
    rates = rates_of(session, [c.id for c in channels])
    changes: dict[int, list[CommissionRate]] = {c.id: [] for c in channels}
    for row in session.scalars(select(CommissionRate).where(CommissionRate.channel_id.in_(list(changes)))
                               .order_by(CommissionRate.effective_from)):
        changes[row.channel_id].append(row)
    return [ChannelRates(c.code, c.name, rates[c.id], changes[c.id]) for c in channels]


def check(rate_bp: object, effective_from: object) -> tuple[int, date]:
    """The rate and date of a change, or InvalidReport saying what is wrong (nothing written)."""
    if type(rate_bp) is not int or not 0 <= rate_bp <= MAX_BP:
        raise InvalidReport(N_("a commission rate is 0 to 10000 basis points of the room revenue"))
    if not isinstance(effective_from, date) or isinstance(effective_from, datetime) \
            or not FIRST <= effective_from <= LAST:
        raise InvalidReport(N_("a rate applies from a date between 2000-01-01 and 2199-12-31"))
    return rate_bp, effective_from


def set_rate(session: Session, *, site: str, channel: str, rate_bp: object, effective_from: object,
             actor: Principal | str, now: datetime) -> CommissionRate:
    """The channel's rate from ``effective_from`` on (a change already on that date is replaced)."""
    rate, since = check(rate_bp, effective_from)
    prop = _property(session, site)
    found = _channel(session, prop, channel, lock=True)  # one change of a channel's rates at a time
    row = session.scalar(select(CommissionRate).where(CommissionRate.channel_id == found.id,
                                                      CommissionRate.effective_from == since))
    before = row.rate_bp if row is not None else None
    if row is None:
        row = CommissionRate(channel_id=found.id, effective_from=since, rate_bp=rate, created_at=now,
                             created_by=_name(actor)[:100])
        session.add(row)
    else:
        row.rate_bp, row.created_at, row.created_by = rate, now, _name(actor)[:100]
    session.flush()
    audit(session, actor, "commission_rate.set", "commission_rate", f"{channel}@{since.isoformat()}",
          {"channel": channel, "effective_from": since.isoformat(), "before_bp": before, "after_bp": rate},
          site=site)
    return row


def remove_rate(session: Session, *, site: str, channel: str, effective_from: date,
                actor: Principal | str) -> None:
    """Withdraw the change from ``effective_from``: the rate in force before it applies again."""
    prop = _property(session, site)
    found = _channel(session, prop, channel, lock=True)
    row = session.scalar(select(CommissionRate).where(CommissionRate.channel_id == found.id,
                                                      CommissionRate.effective_from == effective_from))
    if row is None:
        raise UnknownChannel(f"{channel!r} has no rate change from {effective_from.isoformat()}")
    before = row.rate_bp
    session.delete(row)
    session.flush()
    audit(session, actor, "commission_rate.remove", "commission_rate",
          f"{channel}@{effective_from.isoformat()}",
          {"channel": channel, "effective_from": effective_from.isoformat(), "before_bp": before,
           "after_bp": None}, site=site)


def _name(actor: Principal | str) -> str:
    return actor.username if isinstance(actor, Principal) else actor


def rate_table(rows: Sequence[ChannelRates]) -> list[dict[str, object]]:
    """The history as the API gives it."""
    return [{"channel": c.code, "name": c.name, "registry_rate_bp": c.rates.base_bp,
             "changes": [{"effective_from": r.effective_from.isoformat(), "rate_bp": r.rate_bp,
                          "set_by": r.created_by, "set_at": r.created_at.isoformat()} for r in c.changes]}
            for c in rows]
