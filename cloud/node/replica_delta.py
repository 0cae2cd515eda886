"""The replica's changes: what differs between two pictures the cloud sent a node, and the
picture a node gets by applying them. Pure: ``apply(old, diff(old, new)) == new``.

Rooms are keyed by slug, stays and folios by reservation, cards by credential; rates, the
invoice series, the cloud's sealing key, the pricing and the desk's staff go whole when they
changed. ``split`` cuts changes too large for one message into consecutive deltas. A node
that does not hold the delta's ``base`` is behind (``ReplicaBehind``) and must be sent the whole
picture again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from mqtt.messages import Data
from mqtt.node_messages import NodeReplica, NodeReplicaDelta

T = TypeVar("T", bound=Data)
BEHIND = "replica_behind"  # what a node answers (``ack`` error) to a delta it cannot apply


class ReplicaBehind(Exception):
    """The delta does not follow the replica the node holds."""

    def __init__(self, held: int, base: int) -> None:
        super().__init__(f"the node holds replica {held}, the delta follows {base}")
        self.held, self.base = held, base


def diff(old: NodeReplica, new: NodeReplica) -> NodeReplicaDelta:
    """The changes from ``old`` to ``new`` (``new.version`` must follow ``old.version``)."""
    rooms, rooms_gone = _keyed(old.rooms, new.rooms, key=lambda r: r.room)
    stays, stays_gone = _keyed(old.stays, new.stays, key=lambda s: s.reservation_id)
    folios, folios_gone = _keyed(old.folios, new.folios, key=lambda f: f.reservation_id)
    cards, cards_gone = _keyed(old.cards, new.cards, key=lambda c: c.credential_id)
    return NodeReplicaDelta(
        base=old.version,
        version=new.version,
        as_of=new.as_of,
        first_night=new.first_night,
        days=new.days,
        invoice_series=None if new.invoice_series == old.invoice_series else new.invoice_series,
        seal_key=None if new.seal_key == old.seal_key else new.seal_key,
        rates=None if new.rates == old.rates else new.rates,
        pricing=None if new.pricing == old.pricing else new.pricing,
        access=None if new.access == old.access else new.access,
        rooms=rooms,
        rooms_gone=rooms_gone,
        stays=stays,
        stays_gone=stays_gone,
        folios=folios,
        folios_gone=folios_gone,
        cards=cards,
        cards_gone=cards_gone,
    )


def is_empty(delta: NodeReplicaDelta) -> bool:
    """Nothing but the time moved on."""
    return not any(getattr(delta, name) for name in _LISTS) and all(
        x is None for x in (delta.invoice_series, delta.seal_key, delta.rates, delta.pricing, delta.access)
    )


def apply(replica: NodeReplica, delta: NodeReplicaDelta) -> NodeReplica:
    """The picture after ``delta``; ReplicaBehind when it does not follow ``replica``."""
    if delta.base != replica.version:
        raise ReplicaBehind(replica.version, delta.base)
    return NodeReplica(
        as_of=delta.as_of,
        first_night=delta.first_night,
        days=delta.days,
        version=delta.version,
        invoice_series=replica.invoice_series if delta.invoice_series is None else delta.invoice_series,
        seal_key=replica.seal_key if delta.seal_key is None else delta.seal_key,
        rates=replica.rates if delta.rates is None else delta.rates,
        pricing=replica.pricing if delta.pricing is None else delta.pricing,
        access=replica.access if delta.access is None else delta.access,
        rooms=_merged(replica.rooms, delta.rooms, delta.rooms_gone, key=lambda r: r.room),
        stays=_merged(replica.stays, delta.stays, delta.stays_gone, key=lambda s: s.reservation_id),
        folios=_merged(replica.folios, delta.folios, delta.folios_gone, key=lambda f: f.reservation_id),
        cards=_merged(replica.cards, delta.cards, delta.cards_gone, key=lambda c: c.credential_id),
    )


def split(delta: NodeReplicaDelta, *, max_bytes: int) -> list[NodeReplicaDelta]:
    """The same changes as consecutive deltas of at most about ``max_bytes`` of items each (the
    contract's message limit), from ``delta.base``; the first carries the whole-valued fields."""
    items = [(name, item) for name in _LISTS for item in getattr(delta, name)]
    chunks: list[list[tuple[str, Any]]] = [[]]
    size = 0
    for name, item in items:
        cost = len(item) + 3 if isinstance(item, str) else len(item.model_dump_json()) + 1
        if chunks[-1] and size + cost > max_bytes:
            chunks.append([])
            size = 0
        chunks[-1].append((name, item))
        size += cost
    parts = []
    for i, chunk in enumerate(chunks):
        fields: dict[str, Any] = {name: [item for n, item in chunk if n == name] for name in _LISTS}
        first = (
            {}
            if i == 0
            else {"invoice_series": None, "seal_key": None, "rates": None, "pricing": None, "access": None}
        )
        parts.append(
            delta.model_copy(
                update={"base": delta.base + i, "version": delta.base + i + 1, **fields, **first}
            )
        )
    return parts


_LISTS = ("rooms", "rooms_gone", "stays", "stays_gone", "folios", "folios_gone", "cards", "cards_gone")


def _keyed(old: Sequence[T], new: Sequence[T], *, key: Callable[[T], str]) -> tuple[list[T], list[str]]:
    before = {key(item): item for item in old}
    now = {key(item) for item in new}
    changed = [item for item in new if before.get(key(item)) != item]
    return changed, [k for k in before if k not in now]


def _merged(
    old: Sequence[T], changed: Sequence[T], gone: Sequence[str], *, key: Callable[[T], str]
) -> list[T]:
    """The old items replaced, dropped or added, in the order the cloud sends them."""
    items = {key(item): item for item in old}
    for k in gone:
        items.pop(k, None)
    items.update((key(item), item) for item in changed)
    return sorted(items.values(), key=lambda item: order(item, key(item)))


def order(item: Data, key: str) -> tuple[str, str]:
    """Stays by arrival then reservation, folios and cards by their key (``snapshot`` too)."""
    arrival = getattr(item, "arrival", None)
    return (arrival.isoformat() if arrival is not None else "", key)
