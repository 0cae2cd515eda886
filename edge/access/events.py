"""The access event a decision becomes (``access.granted`` / ``access.denied``)."""

from __future__ import annotations

from edge.access.decision import Decision
from mqtt.messages import AccessDecision


def access_event(decision: Decision, *, room: str | None = None,
                 door: str | None = None) -> tuple[str, AccessDecision]:
    """(event type, data) for the outbox; ``room`` is the room's slug on this floor."""
    card = decision.card
    data = AccessDecision(
        room=room, door=door, granted=decision.granted, reason=decision.reason.value,
        credential_id=card.credential_ref if card else None,
        kind=card.kind.name.lower() if card else None,
    )
    return ("access.granted" if decision.granted else "access.denied"), data
