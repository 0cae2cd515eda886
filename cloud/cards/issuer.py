"""The CredentialIssuer of stays, backed by the property's Ed25519 keyring (``cloud.keys``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cloud.cards.signing import CardRequest, issue
from cloud.core.errors import DomainError
from cloud.keys.commands import b64url
from cloud.keys.errors import KeysError
from cloud.keys.keyring import Keyring
from cloud.reservations.stays.credentials import KeyRequest
from mqtt.keycard import Area, Kind, parse_credential_id

GUEST_AREAS = Area.ENTRANCE | Area.POOL | Area.GYM  # what a guest card opens besides the room


class CardNotIssued(DomainError):
    status = 503
    type_ = "/problems/reservations/card-not-issued"
    title = "The keycard could not be signed"


class KeyringIssuer:
    """Signs guest cards for one room with the key that covers now."""

    def __init__(self, keyring: Keyring | Callable[[], Keyring], *, areas: Area = GUEST_AREAS) -> None:
        self._keyring = keyring
        self._areas = areas

    def issue(self, request: KeyRequest) -> str:
        keyring = self._keyring() if callable(self._keyring) else self._keyring
        card = CardRequest(
            kind=Kind.GUEST,
            credential_id=parse_credential_id(request.credential_id),
            site=request.site_number,
            valid_from=request.valid_from,
            valid_until=request.valid_until,
            sequence=request.sequence,
            guest=request.guest,
            floor=request.floor_number,
            areas=self._areas,
            lift_floors=frozenset({request.floor_number}),
            rooms=(request.room_number,),
        )
        try:
            return b64url(issue(card, keyring=keyring, now=request.issued_at).data)
        except KeysError as exc:
            raise CardNotIssued(f"keycard for room {request.room}: {exc}") from exc

    def sign(self, request: CardRequest, *, now: datetime) -> str:
        """Any card the desk asks for (a facility slot's pass), signed with the key that covers now."""
        keyring = self._keyring() if callable(self._keyring) else self._keyring
        try:
            return b64url(issue(request, keyring=keyring, now=now).data)
        except KeysError as exc:
            raise CardNotIssued(f"keycard {request.credential_id:016x}: {exc}") from exc
