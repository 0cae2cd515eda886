"""Invoice series reserved for property nodes, so a node numbers invoices while the internet
is down and the cloud's numbering never collides with it.

A node's series is its own counter row (``billing_invoice_series``) plus a reservation row
naming the node. The node numbers it in its replica with the same gapless counter; the cloud
records the node's numbers as they are replayed, in order, and refuses to take one itself.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloud.billing.errors import BillingConflict
from cloud.billing.models import Invoice, InvoiceSeries, NodeSeries

MAX_SERIES = 32
_SERIES = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")


class NodeSeriesGap(BillingConflict):
    """A node's invoice arrived out of order: its series would get a gap."""

    type_ = "/problems/billing/node-series-gap"


def node_series_name(*, base: str, node: str) -> str:
    """``INV`` + node ``desk-pc`` -> ``INV-N-DESK-PC``: the ``-N-`` marks a node's series."""
    name = f"{base}-N-{node}".upper()
    if not _SERIES.fullmatch(name):
        raise BillingConflict(f"series {name[:64]!r} is not 1..{MAX_SERIES} of A-Z 0-9 -")
    return name


def reserve_node_series(session: Session, *, site: str, node: str, base: str, now: datetime) -> str:
    """The node's series, reserved on first call (idempotent). A series the cloud has already
    numbered in cannot be reserved."""
    held = session.scalar(select(NodeSeries).where(NodeSeries.site == site, NodeSeries.node == node))
    if held is not None:
        return held.series
    series = node_series_name(base=base, node=node)
    if session.get(InvoiceSeries, series) is not None:
        raise BillingConflict(f"series {series} is already in use")
    session.add(InvoiceSeries(series=series, last_number=0))
    session.flush()
    session.add(NodeSeries(series=series, site=site, node=node, reserved_at=now))
    session.flush()
    return series


def refuse_node_series(session: Session, series: str) -> None:
    """Raise when the cloud itself is about to number in a node's series."""
    if session.get(NodeSeries, series) is not None:
        raise BillingConflict(f"series {series} is reserved for a property node")


def take_node_number(session: Session, *, series: str, node: str, number: int) -> bool:
    """Record the node's next number of its series. True if taken now, False if this number
    was recorded before (a replay); NodeSeriesGap if it skips one, BillingConflict if the
    series is not this node's."""
    reserved = session.get(NodeSeries, series)
    if reserved is None or reserved.node != node:
        raise BillingConflict(f"series {series} is not reserved for node {node}")
    last = session.execute(
        select(InvoiceSeries.last_number).where(InvoiceSeries.series == series).with_for_update()
    ).scalar_one()
    if number <= last:
        return False
    if number != last + 1:
        raise NodeSeriesGap(f"{series}: number {number} after {last} leaves a gap")
    session.execute(update(InvoiceSeries).where(InvoiceSeries.series == series).values(last_number=number))
    return True


def series_gaps(session: Session, series: str) -> list[int]:
    """Numbers missing between 1 and the series' last number (empty when gapless)."""
    last = session.scalar(select(InvoiceSeries.last_number).where(InvoiceSeries.series == series)) or 0
    taken = set(session.scalars(select(Invoice.number).where(Invoice.series == series)))
    return [n for n in range(1, last + 1) if n not in taken]
