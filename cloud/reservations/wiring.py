"""Installs reservations and stays into the app: routers, the keycard issuer, the stay history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from cloud.keys.storage import KeyDirectory
from cloud.reservations.guest_history import GuestHistory
from cloud.reservations.keycards import KeyringIssuer
from cloud.reservations.routes_all import page_routers, routers
from cloud.reservations.schedule import StayClock
from mqtt.envelope import utcnow

DEFAULT_KEYS = Path("var/keys")
FIRST_KEY_BACKDATE = timedelta(minutes=5)


def install_reservations(app: FastAPI, settings: Any) -> None:
    """Call once from the app factory, after auth and guests are installed."""
    keys = KeyDirectory(getattr(settings, "keys_dir", None) or DEFAULT_KEYS)
    # Loaded per card, so a rotated key is picked up without a restart. A first key (a demo) is
    # valid from a little before now: the request being signed was stamped before it was made.
    app.state.credential_issuer = KeyringIssuer(
        lambda: keys.load_or_create(now=utcnow() - FIRST_KEY_BACKDATE)
    )
    app.state.signing_keys = keys
    for router in [*routers(), *page_routers()]:
        app.include_router(router)
    runtime = getattr(app.state, "runtime", None)
    if runtime is not None:  # checkouts at the hour, block releases, service tasks
        runtime.keyring = lambda: keys.load_or_create(now=utcnow() - FIRST_KEY_BACKDATE)
        guests = getattr(app.state, "guests", None)
        history = GuestHistory(guests.settings) if guests is not None else None
        runtime.loops.append(StayClock(runtime.sessions, history=history))
