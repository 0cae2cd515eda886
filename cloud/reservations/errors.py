"""Domain errors of reservations and stays, each mapped to an RFC 9457 problem."""

from __future__ import annotations

# The catalog's errors, raised by reservations too.
from cloud.catalog.errors import InvalidRequest as InvalidRequest
from cloud.catalog.errors import UnknownResource as UnknownResource
from cloud.core.errors import Conflict, DomainError


class SoldOut(Conflict):
    """No inventory of the requested type is left for one or more nights."""

    type_ = "/problems/reservations/sold-out"
    title = "Sold out"


class RoomUnavailable(Conflict):
    """The room asked for is taken or out of order for one or more nights."""

    type_ = "/problems/reservations/room-unavailable"
    title = "Room unavailable"


class WrongState(Conflict):
    """The reservation's status does not allow the operation (e.g. check-in of a cancelled one)."""

    type_ = "/problems/reservations/wrong-state"
    title = "Not allowed in this state"


class TooEarly(Conflict):
    type_ = "/problems/reservations/too-early"
    title = "Too early"


class BlockExhausted(Conflict):
    type_ = "/problems/reservations/block-exhausted"
    title = "Group block exhausted"


class RoomingListInvalid(DomainError):
    """Carries ``errors``: a list of {line, field, message}; nothing was imported."""

    status = 422
    type_ = "/problems/reservations/rooming-list-invalid"
    title = "Rooming list rejected"
