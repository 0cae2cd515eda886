"""The guest registry's keys and thresholds: the app's ``Services.guests``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import Request
from sqlalchemy.orm import Session

from cloud.auth.roles import Principal
from cloud.core.deps import services
from cloud.guests.crypto import keys_from
from cloud.guests.models import Guest
from cloud.guests.schemas import GuestInput
from cloud.guests.settings import GuestSettings
from cloud.guests.vault import Vault


class PersonalCopies(Protocol):
    """Copies of a guest's personal data kept by other areas (reservations, folios, messages, ...)."""

    def export(self, session: Session, *, guest: Guest, data: GuestInput | None) -> dict[str, Any]: ...

    def erase(self, session: Session, *, guest: Guest, data: GuestInput | None) -> dict[str, int]: ...


class ProfileMerge(Protocol):
    """What another area keeps per profile and folds with it when two profiles merge (memberships,
    surveys, ...). Runs before the registry changes anything; raising refuses the whole merge."""

    def merge(self, session: Session, *, actor: Principal | str, keep: Guest, other: Guest) -> None: ...


@dataclass(frozen=True)
class GuestContext:
    settings: GuestSettings
    vault: Vault
    copies: list[PersonalCopies] = field(default_factory=list)  # filled by the app factory
    merges: list[ProfileMerge] = field(default_factory=list)  # filled by the areas' wiring


def build_guests(settings: GuestSettings) -> GuestContext:
    cipher, index = keys_from(settings)
    return GuestContext(settings=settings, vault=Vault(cipher=cipher, index=index))


def guest_context(request: Request) -> GuestContext:
    return services(request).guests
