"""The guest registry's keys and thresholds, kept on ``app.state.guests``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI, Request

from cloud.guests.crypto import keys_from
from cloud.guests.settings import GuestSettings
from cloud.guests.vault import Vault


@dataclass(frozen=True)
class GuestContext:
    settings: GuestSettings
    vault: Vault


def install_guests(app: FastAPI, settings: GuestSettings) -> GuestContext:
    cipher, index = keys_from(settings)
    ctx = GuestContext(settings=settings, vault=Vault(cipher=cipher, index=index))
    app.state.guests = ctx
    return ctx


def guest_context(request: Request) -> GuestContext:
    ctx = getattr(request.app.state, "guests", None)
    if not isinstance(ctx, GuestContext):
        raise RuntimeError("cloud.guests.context.install_guests(app, ...) was not called")
    return ctx
