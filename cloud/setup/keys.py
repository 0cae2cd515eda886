"""Each document item's identity within its section: what makes two items 'the same' across versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloud.setup.document import (
    PricePart,
    RestrictionPart,
)


def price_key(p: PricePart) -> str:
    days = ",".join(p.weekdays) if p.weekdays is not None else "*"
    return f"{p.plan}/{p.type} {p.from_ or '…'}..{p.until or '…'} {days}"


def restriction_key(r: RestrictionPart) -> str:
    return f"{r.plan or '*'}/{r.type or '*'} {r.from_}..{r.until}"


KEYS: dict[str, Callable[[Any], str]] = {
    "property": lambda p: p.site,
    "floors": lambda f: f.id,
    "room_types": lambda t: t.code,
    "rooms": lambda r: r.id,
    "areas": lambda a: a.code,
    "rate_plans": lambda p: p.code,
    "prices": price_key,
    "restrictions": restriction_key,
    "tax_categories": lambda c: c.code,
    "taxes": lambda t: t.code,
    "service_items": lambda s: s.code,
    "out_of_order": lambda o: f"{o.room} {o.from_}..{o.until}",
}
