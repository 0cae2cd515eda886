"""A group block's master folio: the company pays some kinds of its stays' charges.

Stays booked into the block route those kinds (room nights, typically) to the master folio,
billed to the company; everything else (minibar, restaurant) stays on the guest's folio.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing.context import BillingContext
from cloud.billing.errors import BillingConflict, UnknownReservation
from cloud.billing.folio import ChargeKind
from cloud.billing.models import BlockFolio, Folio
from cloud.billing.service import FolioSpec, GuestInfo, get_folio, open_folio
from cloud.catalog.models import Property
from cloud.reservations.groups.models import GroupBlock
from cloud.reservations.models import Reservation


def block_site(ctx: BillingContext, block_id: str) -> str:
    """The property a block belongs to (for the caller's scope check)."""
    with ctx.sessions() as session:
        block = session.get(GroupBlock, block_id)
        prop = session.get(Property, block.property_id) if block else None
        if prop is None:
            raise UnknownReservation(f"no group block {block_id}")
        return prop.slug


def open_block_folio(
    session: Session, *, block_id: str, company_name: str, company_tax_id: str | None,
    company_pays: tuple[ChargeKind, ...], now: datetime,
) -> Folio:
    """The block's master folio; stays already booked into the block are routed to it too."""
    block = session.get(GroupBlock, block_id)
    if block is None:
        raise UnknownReservation(f"no group block {block_id}")
    if session.get(BlockFolio, block_id) is not None:
        raise BillingConflict(f"group block {block_id} already has a master folio")
    if not company_pays:
        raise BillingConflict("say which charges the company pays (e.g. room_night)")
    prop = session.get(Property, block.property_id)
    assert prop is not None
    master = open_folio(session, FolioSpec(
        site=prop.slug, currency=prop.currency, guest=GuestInfo(name=company_name),
        company_name=company_name, company_tax_id=company_tax_id, master=True), now=now)
    kinds = sorted({kind.value for kind in company_pays})
    session.add(BlockFolio(block_id=block_id, folio_id=master.id, company_pays=kinds))
    booked = select(Folio).join(Reservation, Reservation.id == Folio.reservation_id).where(
        Reservation.block_id == block_id, Folio.kind == "stay")
    for folio in session.scalars(booked):
        folio.master_folio_id, folio.routed_kinds = master.id, kinds
    session.flush()
    return master


def routing_for(session: Session, block_id: str | None) -> tuple[str | None, tuple[str, ...]]:
    """The master folio and routed kinds a stay of this block books its folio with."""
    row = session.get(BlockFolio, block_id) if block_id else None
    if row is None:
        return None, ()
    return row.folio_id, tuple(row.company_pays)


def company_pays(session: Session, folio: Folio, kind: ChargeKind) -> bool:
    """Whether a line of this kind on the stay's folio lands on a company's master folio."""
    if folio.master_folio_id is None or kind.value not in folio.routed_kinds:
        return False
    return get_folio(session, folio.master_folio_id).company_name is not None
