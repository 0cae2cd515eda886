"""Cancellations and no-shows: the fee the rate plan's policy sets, the nights and rooms given back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog import service as catalog
from cloud.catalog.models import Property, RatePlan
from cloud.catalog.pricing import cancellation_fee, no_show_fee
from cloud.core.nights import local_instant, local_today
from cloud.reservations.errors import InvalidRequest, WrongState
from cloud.reservations.models import Reservation, ReservationNight
from cloud.reservations.sales.booking import release_holdings
from cloud.reservations.stays import credentials


def cancel(session: Session, res: Reservation, *, now: datetime) -> Reservation:
    """Cancel under the rate plan's policy; the fee is recorded for billing to charge."""
    if res.status != "booked":
        raise WrongState(f"a {res.status} reservation cannot be cancelled")
    prop, plan = session.get(Property, res.property_id), session.get(RatePlan, res.rate_plan_id)
    assert prop is not None and plan is not None
    amounts = _night_amounts(session, res)
    checkin_at = local_instant(res.arrival, prop.checkin_from, prop.timezone)
    res.cancellation_fee_minor = cancellation_fee(
        catalog.policy_of(plan), amounts, now=now, checkin_at=checkin_at
    )
    credentials.revoke_all(session, res, now=now)  # e.g. a key sent to a phone before arrival
    release_holdings(session, res)
    res.status, res.cancelled_at = "cancelled", now
    return res


def no_show(session: Session, res: Reservation, *, now: datetime) -> Reservation:
    """Mark a guest who never came (from the day after arrival): frees the rooms, records the fee."""
    prop, plan = session.get(Property, res.property_id), session.get(RatePlan, res.rate_plan_id)
    assert prop is not None and plan is not None
    if res.status != "booked":
        raise WrongState(f"a {res.status} reservation cannot be a no-show")
    if local_today(now, prop.timezone) <= res.arrival:
        raise InvalidRequest("a no-show can be recorded from the day after arrival")
    res.cancellation_fee_minor = no_show_fee(catalog.policy_of(plan), _night_amounts(session, res))
    release_holdings(session, res)
    res.status, res.cancelled_at = "no_show", now
    return res


def _night_amounts(session: Session, res: Reservation) -> list[int]:
    return list(
        session.scalars(
            select(ReservationNight.amount_minor)
            .where(ReservationNight.reservation_id == res.id)
            .order_by(ReservationNight.night)
        )
    )
