"""Small hooks on the paths that decide a stay's points: booking, cancelling, check-out, refund.

Each runs inside the transaction of the change it follows, so the points move with it or not
at all. They wrap the app's own ledger and history and pass every call on unchanged.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing.models import Folio, Payment
from cloud.billing.settings import BillingSettings
from cloud.catalog.models import Property
from cloud.core.nights import local_instant
from cloud.loyalty import chain_rules, stays
from cloud.loyalty.feedback.service import Surveys
from cloud.loyalty.feedback.survey import mid_stay_day
from cloud.loyalty.models import Entry
from cloud.loyalty.promotions import codes, members_only, packages
from cloud.loyalty.rules import EarningRules
from cloud.reservations.models import Reservation
from cloud.reservations.stays.guest_history import StayHistory
from cloud.reservations.stays.ledger import Settle, StayLedger
from mqtt.envelope import utcnow


class LoyaltyLedger:
    """The app's stay ledger, with pending points on booking and their reversal on cancelling."""

    def __init__(
        self,
        inner: StayLedger,
        *,
        rules: EarningRules,
        surveys: Surveys,
        billing: BillingSettings | None = None,
    ) -> None:
        self.inner, self.rules, self.surveys = inner, rules, surveys
        self.billing = billing or BillingSettings()

    def booked(self, session: Session, res: Reservation, *, now: datetime) -> None:
        self.inner.booked(session, res, now=now)
        stays.booked(session, res, rules=self.rules, now=now)

    def modified(self, session: Session, res: Reservation, *, now: datetime) -> None:
        self.inner.modified(session, res, now=now)  # the pending estimate is settled at check-out
        members_only.require_member_stay(session, res)  # a changed plan may be a member rate

    def cancelled(self, session: Session, res: Reservation, *, now: datetime) -> None:
        self.inner.cancelled(session, res, now=now)
        stays.cancelled(session, res, rules=self.rules, now=now)
        codes.release(session, reservation_id=res.id, now=now)  # an offer code's use goes back

    def checked_in(self, session: Session, res: Reservation, *, now: datetime) -> None:
        self.inner.checked_in(session, res, now=now)
        packages.checked_in(session, self.billing, res, now=now)  # a package's extras on the folio
        day = mid_stay_day(res.arrival, res.departure)
        prop = session.get(Property, res.property_id)
        if day is not None and prop is not None:  # a longer stay: a check the morning after arrival
            at = local_instant(day, time(10), prop.timezone)
            self.surveys.open(session, res, kind="mid_stay", now=now, not_before=max(at, now))

    def late_checkout(self, session: Session, res: Reservation, *, now: datetime) -> None:
        self.inner.late_checkout(session, res, now=now)

    def before_check_out(self, session: Session, res: Reservation, *, settle: Settle) -> None:
        self.inner.before_check_out(session, res, settle=settle)

    def checked_out(self, session: Session, res: Reservation, *, now: datetime, invoice: bool) -> str | None:
        return self.inner.checked_out(session, res, now=now, invoice=invoice)

    def invoices(self, session: Session, res: Reservation) -> list[tuple[str, str]]:
        return self.inner.invoices(session, res)


class LoyaltyHistory:
    """The guest's history at check-out, then the stay's points confirmed and the survey sent."""

    def __init__(self, inner: StayHistory, *, rules: EarningRules, surveys: Surveys) -> None:
        self.inner, self.rules, self.surveys = inner, rules, surveys

    def record(self, session: Session, res: Reservation) -> None:
        self.inner.record(session, res)
        now = res.checked_out_at or utcnow()
        stays.checked_out(session, res, rules=chain_rules.for_stay(session, res), now=now)
        self.surveys.open(session, res, kind="post_stay", now=now)


class RefundPoints:
    """A refund on a stay's folio takes back the points its money earned (once per refund)."""

    def __init__(self, *, rules: EarningRules) -> None:
        self.rules = rules

    def __call__(self, session: Session, refund: Payment) -> None:
        folio = session.get(Folio, refund.folio_id)
        res = (
            None
            if folio is None or folio.reservation_id is None
            else session.get(Reservation, folio.reservation_id)
        )
        action = f"refund:{refund.id}"
        if res is None or session.scalar(select(Entry.id).where(Entry.action == action).limit(1)):
            return
        stays.refunded(
            session,
            res,
            refund_minor=refund.amount_minor,
            action=action,
            rules=chain_rules.for_stay(session, res),
            now=refund.created_at,
        )
