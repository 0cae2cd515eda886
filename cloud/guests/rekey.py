"""Re-encrypt every guest under the active key and rebuild the blind indexes.

Run after adding a key (``POSADA_GUEST_KEYS``, ``POSADA_GUEST_ACTIVE_KEY``) or changing
``POSADA_GUEST_INDEX_KEY`` (keep the old data keys configured until this has run):

    posada guests reencrypt            # uses POSADA_DATABASE_URL
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_engine, make_sessionmaker
from cloud.guests.crypto import keys_from
from cloud.guests.models import Guest
from cloud.guests.settings import GuestSettings
from cloud.guests.vault import Vault

log = logging.getLogger(__name__)
BATCH = 200


def reencrypt_all(sessions: sessionmaker[Session], vault: Vault) -> int:
    """Decrypt with whichever configured key sealed each field, seal with the active one."""
    done, after = 0, ""
    while True:
        with sessions() as session, session.begin():
            query = select(Guest).where(Guest.id > after).order_by(Guest.id).limit(BATCH)
            batch = list(session.scalars(query))
            for guest in batch:
                data = vault.open(guest)
                if data is not None:
                    vault.seal(session, guest, data)
                    done += 1
        if len(batch) < BATCH:
            return done
        after = batch[-1].id


def run(settings: GuestSettings, *, database_url: str) -> int:
    """``posada guests reencrypt``: every guest under the active key, with the given settings."""
    cipher, index = keys_from(settings)
    engine = make_engine(database_url)
    try:
        count = reencrypt_all(make_sessionmaker(engine), Vault(cipher=cipher, index=index))
    finally:
        engine.dispose()
    log.info("re-encrypted %d guests under key %s", count, cipher.active)
    return 0
