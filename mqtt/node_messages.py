"""What a property node did at the desk while it could not reach the cloud: one event per
operation, replayed to the cloud in the node's sequence order (envelope ``seq``), each once.

Guests' personal data travels sealed (``guest_sealed``: the node encrypts it as the cloud does
its columns); the cloud never needs it to judge a conflict. Registered into the contract at
import, like the access commands.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from mqtt.messages import Data, Day, Instant, register_command, register_event

Id = str
_ID = Field(pattern=r"^[0-9A-Za-z_-]{1,64}$")
_SLUG = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
Currency = Field(pattern=r"^[A-Z]{3}$")
Key = Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,64}$")]  # an id in a list


class NodeOperation(Data):
    """Base of every node operation: when, by whom, on which reservation."""

    at: Instant
    staff: str = Field(default="", max_length=64)
    reservation_id: Id = _ID


class CheckIn(NodeOperation):
    """A booked guest (``walk_in`` false: the reservation came with the replica) or a walk-in
    (the node made the reservation id) checked into ``room`` at ``rate_minor`` a night."""

    walk_in: bool = False
    room: str = _SLUG
    room_type: str = _SLUG
    arrival: Day
    departure: Day
    rate_minor: int = Field(ge=0)
    currency: str = Currency
    guest_sealed: str = Field(default="", max_length=4096)
    # A walk-in's price as the desk quoted it from the replica: the plan and each night's amount
    # (empty: ``rate_minor`` every night). The cloud books the stay at these prices.
    rate_plan: str = Field(default="", pattern=r"^([A-Za-z0-9_~-]{1,32})?$")
    nights_minor: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list, max_length=366)

    @model_validator(mode="after")
    def _nights(self) -> CheckIn:
        if self.departure <= self.arrival:
            raise ValueError("departure must be after arrival")
        if self.nights_minor and len(self.nights_minor) != (self.departure - self.arrival).days:
            raise ValueError("nights_minor has one amount per night of the stay")
        return self

    def night_amounts(self) -> list[int]:
        """What each night costs as the desk agreed it."""
        return list(self.nights_minor) or [self.rate_minor] * (self.departure - self.arrival).days


class RoomMove(NodeOperation):
    from_room: str = _SLUG
    to_room: str = _SLUG
    from_night: Day


class ChargePosted(NodeOperation):
    charge_id: Id = _ID
    kind: str = Field(pattern=r"^[a-z_]{1,32}$")
    description: str = Field(max_length=200)
    amount_minor: int
    currency: str = Currency
    quantity: int = Field(default=1, ge=1, le=10_000)


class PaymentTaken(NodeOperation):
    payment_id: Id = _ID
    method: Literal["cash", "terminal"]
    amount_minor: int = Field(gt=0)
    currency: str = Currency


class CheckedOut(NodeOperation):
    """The stay ended with an invoice numbered in the node's reserved series."""

    invoice_id: Id = _ID
    series: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{0,31}$")
    number: int = Field(ge=1)
    total_minor: int
    currency: str = Currency


TAG_UID = r"^(?:[0-9a-f]{8}|[0-9a-f]{14}|[0-9a-f]{20})$"  # as cloud/cards/schemas.py takes it


class CardEncoded(NodeOperation):
    """A keycard signed with the node's delegated key: the cloud records it as the stay's
    credential (its room's ``sequence``, the ``guest`` number on the card), so it is revoked at
    check-out and the door log names its stay."""

    credential_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    key_id: int = Field(ge=0xF000, le=0xFFFF)
    room: str = _SLUG
    valid_until: Instant
    sequence: int = Field(default=0, ge=0, le=0xFFFFFFFF)  # 0: a node that did not say
    guest: int = Field(default=1, ge=1, le=255)
    # the tag's ISO 14443-A UID (4, 7 or 10 bytes, lowercase hex) as the node's encoder read it
    # back; None: a node without an encoder (the card was handed over as bytes)
    uid: str | None = Field(default=None, pattern=TAG_UID)


OPERATIONS: dict[str, type[NodeOperation]] = {
    "node.check_in": CheckIn,
    "node.room_move": RoomMove,
    "node.charge": ChargePosted,
    "node.payment": PaymentTaken,
    "node.check_out": CheckedOut,
    "node.card": CardEncoded,
}
for _type, _model in OPERATIONS.items():
    register_event(_type, _model)


class ConflictItem(Data):
    """One operation that waits for staff, as the cloud's replay judged it."""

    event_id: Id = _ID
    reservation_id: Id = _ID
    rule: str = Field(pattern=r"^[a-z_]{1,32}$")
    detail: str = Field(default="", max_length=500)
    suggestion: str = Field(default="", max_length=500)


class NodeConflicts(Data):
    """The cloud to a node, after each replay: every one of its operations still waiting for
    staff (the whole list: it replaces the previous one), and the last sequence replayed."""

    replayed_seq: int = Field(ge=0)
    items: list[ConflictItem] = Field(default_factory=list, max_length=1000)


register_command("node.conflicts", NodeConflicts)


class ReplicaStay(Data):
    """A stay the desk may meet in the replica's days (no personal data: see ``guest_sealed``)."""

    reservation_id: Id = _ID
    status: Literal["booked", "checked_in"]
    room_type: str = _SLUG
    room: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9-]{0,62})?$")
    arrival: Day
    departure: Day
    rate_minor: int | None = Field(default=None, ge=0)
    currency: str = Currency
    guest_sealed: str = Field(default="", max_length=4096)
    # Each night's agreed amount from arrival (what check-in posts to the folio); whether check-in
    # posts them (not when a long-stay contract bills the stay period by period); the charge
    # kinds a company's master folio takes (they do not add to what the guest owes).
    nights_minor: list[Annotated[int, Field(ge=0)]] = Field(default_factory=list, max_length=366)
    nights_posted: bool = True
    company_kinds: list[Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")]] = Field(
        default_factory=list, max_length=64
    )


class ReplicaRoom(Data):
    """A room, with what a keycard for it carries: its number, its floor's number and the
    highest card sequence the cloud issued for it (a node's card must supersede it)."""

    room: str = _SLUG
    room_type: str = _SLUG
    number: int = Field(default=0, ge=0, le=0xFFFF)
    floor: int = Field(default=0, ge=0, le=0xFF)
    sequence: int = Field(default=0, ge=0)


class ReplicaRate(Data):
    """Tonight's price of a rate plan for a room type (what a walk-in is offered)."""

    rate_plan: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    room_type: str = _SLUG
    amount_minor: int = Field(ge=0)
    currency: str = Currency


class ReplicaPrice(Data):
    """One price rule of a rate plan for a room type, as the catalog keeps it: a nightly amount
    narrowed to a season [start, end) and weekdays (0 = Monday), with a minimum stay."""

    rate_plan: str = Field(pattern=r"^[A-Za-z0-9_~-]{1,32}$")
    room_type: str = _SLUG
    amount_minor: int = Field(ge=0)
    season_start: Day | None = None
    season_end: Day | None = None
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] | None = Field(default=None, max_length=7)
    min_stay: int | None = Field(default=None, ge=1, le=365)


class ReplicaRestriction(Data):
    """A restriction on nights [start, end) of a plan and/or a room type (none: every one)."""

    start: Day
    end: Day
    rate_plan: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_~-]{1,32}$")
    room_type: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    min_stay: int | None = Field(default=None, ge=1, le=365)
    max_stay: int | None = Field(default=None, ge=1, le=365)
    closed_to_arrival: bool = False
    closed_to_departure: bool = False
    stop_sell: bool = False


class ReplicaPlan(Data):
    """A rate plan the desk may sell, in the cloud's order (the first is the walk-in's default)."""

    rate_plan: str = Field(pattern=r"^[A-Za-z0-9_~-]{1,32}$")
    name: str = Field(default="", max_length=200)
    min_stay: int = Field(default=1, ge=1, le=365)


class ReplicaTax(Data):
    """A tax of the property: its rate in parts per million over the charge kinds it names
    (none: every kind)."""

    code: str = Field(min_length=1, max_length=32)
    ppm: int = Field(ge=0, le=1_000_000)
    kinds: list[Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")]] = Field(default_factory=list, max_length=64)


class ReplicaPricing(Data):
    """What the cloud prices a stay and taxes a folio line with: the plans, their price rules,
    the restrictions and the taxes (whole: it replaces the previous one)."""

    prices_include_tax: bool = True
    plans: list[ReplicaPlan] = Field(default_factory=list, max_length=500)
    prices: list[ReplicaPrice] = Field(default_factory=list, max_length=5000)
    restrictions: list[ReplicaRestriction] = Field(default_factory=list, max_length=5000)
    taxes: list[ReplicaTax] = Field(default_factory=list, max_length=64)


class ReplicaStaff(Data):
    """A staff member who may sign in at the node's desk: the account's name, role and scope,
    and its password hash (argon2id) sealed for this node (``password_sealed``; never the
    password, and never the hash in clear)."""

    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(default="", max_length=200)
    role: Literal["front_desk", "manager", "chain_admin"]
    site: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")  # None: the chain
    password_sealed: str = Field(min_length=1, max_length=2048)


class ReplicaAccess(Data):
    """Who signs in at the node's desk and under which rules: the cloud's session lifetime and
    idle limit, and its sign-in throttling (``cloud.auth.settings``), so the node's sign-in is
    the cloud's (whole: it replaces the previous one)."""

    staff: list[ReplicaStaff] = Field(default_factory=list, max_length=2000)
    session_lifetime_minutes: int = Field(default=12 * 60, ge=1)
    session_idle_minutes: int = Field(default=60, ge=1)
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_window_minutes: int = Field(default=15, ge=1)
    first_wait_seconds: int = Field(default=1, ge=1)
    account_longest_wait_seconds: int = Field(default=60, ge=1)
    address_threshold: int = Field(default=20, ge=1)
    address_longest_wait_seconds: int = Field(default=900, ge=1)


class ReplicaFolio(Data):
    """An open stay folio: what the guest owes as of the replica (charges less payments)."""

    reservation_id: Id = _ID
    balance_minor: int
    currency: str = Currency


class ReplicaCard(Data):
    """A keycard the cloud issued for a stay (not revoked), so the desk knows who holds one."""

    credential_id: Id = _ID
    reservation_id: Id = _ID
    room: str = _SLUG
    valid_until: Instant


SEAL_KEY = r"^([A-Za-z0-9_-]{43})?$"  # an X25519 public key, base64url without padding


class NodeReplica(Data):
    """The cloud to a node: what the desk needs from ``first_night`` for ``days`` nights, as of
    ``as_of`` (the whole picture: it replaces the previous one). ``version`` numbers the
    pictures a node was sent; a ``node.replica_delta`` names the version it applies to."""

    as_of: Instant
    first_night: Day
    days: int = Field(ge=1, le=60)
    version: int = Field(default=0, ge=0)
    invoice_series: str = Field(default="", pattern=r"^([A-Z0-9][A-Z0-9-]{0,31})?$")
    seal_key: str = Field(default="", pattern=SEAL_KEY)  # the cloud's, to seal walk-ins' data
    rooms: list[ReplicaRoom] = Field(default_factory=list, max_length=5000)
    rates: list[ReplicaRate] = Field(default_factory=list, max_length=5000)
    pricing: ReplicaPricing = Field(default_factory=ReplicaPricing)
    access: ReplicaAccess = Field(default_factory=ReplicaAccess)
    stays: list[ReplicaStay] = Field(default_factory=list, max_length=5000)
    folios: list[ReplicaFolio] = Field(default_factory=list, max_length=5000)
    cards: list[ReplicaCard] = Field(default_factory=list, max_length=20000)


class NodeReplicaDelta(Data):
    """The cloud to a node: what changed since replica ``base`` (rooms, stays, folios and cards
    by key, added or replaced, and the keys gone; rates whole when they changed). A node that
    does not hold ``base`` is behind: it says so on its ``ack`` and gets a whole picture again.
    A picture too large for one message goes as a bare ``node.replica`` and deltas filling it."""

    base: int = Field(ge=1)
    version: int = Field(ge=2)
    as_of: Instant
    first_night: Day
    days: int = Field(ge=1, le=60)
    invoice_series: str | None = Field(default=None, pattern=r"^([A-Z0-9][A-Z0-9-]{0,31})?$")
    seal_key: str | None = Field(default=None, pattern=SEAL_KEY)
    rates: list[ReplicaRate] | None = Field(default=None, max_length=5000)
    pricing: ReplicaPricing | None = None
    access: ReplicaAccess | None = None
    rooms: list[ReplicaRoom] = Field(default_factory=list, max_length=5000)
    rooms_gone: list[Key] = Field(default_factory=list, max_length=5000)
    stays: list[ReplicaStay] = Field(default_factory=list, max_length=5000)
    stays_gone: list[Key] = Field(default_factory=list, max_length=5000)
    folios: list[ReplicaFolio] = Field(default_factory=list, max_length=5000)
    folios_gone: list[Key] = Field(default_factory=list, max_length=5000)
    cards: list[ReplicaCard] = Field(default_factory=list, max_length=20000)
    cards_gone: list[Key] = Field(default_factory=list, max_length=20000)

    @model_validator(mode="after")
    def _follows(self) -> NodeReplicaDelta:
        if self.version != self.base + 1:
            raise ValueError("a delta goes from one version to the next")
        return self


register_command("node.replica", NodeReplica)
register_command("node.replica_delta", NodeReplicaDelta)
