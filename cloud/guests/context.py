"""The guest registry's keys and thresholds: the app's ``Services.guests``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from cloud.core.deps import services
from cloud.guests.crypto import keys_from
from cloud.guests.settings import GuestSettings
from cloud.guests.vault import Vault


@dataclass(frozen=True)
class GuestContext:
    settings: GuestSettings
    vault: Vault


def build_guests(settings: GuestSettings) -> GuestContext:
    cipher, index = keys_from(settings)
    return GuestContext(settings=settings, vault=Vault(cipher=cipher, index=index))


def guest_context(request: Request) -> GuestContext:
    return services(request).guests
