"""Domain errors of the channel manager, each mapped to an RFC 9457 problem."""

from __future__ import annotations

from cloud.core.errors import Conflict, DomainError, NotFound


class ChannelInvalid(DomainError):
    """A request or a channel's message is not acceptable; ``detail`` says why."""

    status = 422
    type_ = "/problems/channels/invalid"
    title = "Refused channel input"


class UnknownChannel(NotFound):
    type_ = "/problems/channels/unknown"
    title = "Unknown channel"


class ChannelConflict(Conflict):
    """A duplicate code, mapping or confirmation number."""

    type_ = "/problems/channels/conflict"
    title = "Channel conflict"


class FeedRefused(DomainError):
    """An iCal feed that cannot be used (malformed, too large); the last good state is kept."""

    status = 422
    type_ = "/problems/channels/feed-refused"
    title = "Feed refused"
