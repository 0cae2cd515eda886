"""A redemption on the stay's folio, and its reversal: the points go back to the lots they came
from, each property's sub-ledger moves back, and the allowance line is matched by a charge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing.settings import BillingSettings
from cloud.loyalty import folio_lines, membership
from cloud.loyalty.errors import InvalidLoyalty, RedemptionNotFound
from cloud.loyalty.ledger import Posting, post, settle
from cloud.loyalty.models import Entry, Lot, Redemption
from cloud.loyalty.rules import EarningRules


def on_folio(
    session: Session,
    billing: BillingSettings,
    redemption: Redemption,
    *,
    service_kind: str | None,
    now: datetime,
) -> None:
    """Credit the stay's folio with what the points paid for (only when a stay is named)."""
    if service_kind is not None and service_kind not in folio_lines.SERVICE_KINDS:
        raise InvalidLoyalty(f"a service is one of {', '.join(folio_lines.SERVICE_KINDS)}")
    line = folio_lines.allowance(session, billing, redemption, service_kind=service_kind, now=now)
    if line is not None:
        redemption.folio_charge_id = line
        redemption.folio_kind = folio_lines.FOR_KIND.get(redemption.kind, service_kind or "restaurant")


def reverse(
    session: Session,
    billing: BillingSettings,
    member_id: str,
    redemption_id: str,
    *,
    actor: str,
    rules: EarningRules,
    now: datetime,
) -> Redemption:
    """Give the points back (to the lots they were drawn from) and take the folio's allowance back."""
    member = membership.load(session, member_id, lock=True)
    found = session.get(Redemption, redemption_id)
    if found is None or found.member_id != member.id:
        raise RedemptionNotFound(f"no redemption {redemption_id!r}")
    if found.reversed_at is not None:
        return found  # once: a repeated request changes nothing
    drawn = session.scalars(
        select(Entry).where(
            Entry.member_id == member.id, Entry.action == f"redemption:{found.id}", Entry.kind == "redeem"
        )
    )
    for entry in list(drawn):
        lot = session.get(Lot, entry.lot_id, with_for_update=True) if entry.lot_id else None
        assert lot is not None
        lot.remaining += -entry.points
        back = Posting(
            "reverse",
            "available",
            -entry.points,
            lot.site,
            f"unredeem:{found.id}",
            actor,
            found.reservation_id,
            settle="redeem_out",
        )  # the issuing property owes them again
        given = post(session, member, lot, back, rules=rules, now=now)
        settle(
            session,
            member=member,
            entry=given,
            kind="redeem_in",
            site=found.site,
            points=entry.points,
            rules=rules,
        )  # the honouring property no longer claims them
    if found.folio_kind is not None:
        folio_lines.take_back(session, billing, found, kind=found.folio_kind, now=now)
    found.reversed_at = now
    return found
