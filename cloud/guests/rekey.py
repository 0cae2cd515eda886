"""Re-encrypt every guest under the active key and rebuild the blind indexes.

Run after adding a key (``POSADA_GUEST_KEYS``, ``POSADA_GUEST_ACTIVE_KEY``) or changing
``POSADA_GUEST_INDEX_KEY`` (keep the old data keys configured until this has run):

    posada guests reencrypt            # uses POSADA_DATABASE_URL
    posada guests reencrypt --reindex  # also rebuild every blind index (a new index key)

Every copy (reservations, folios, invoices, messages, channel bookings, pre-check-ins) is
re-encrypted in short batches while the app serves; an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import logging

from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_engine, make_sessionmaker
from cloud.guests.crypto import keys_from
from cloud.guests.models import Guest
from cloud.guests.rekey_copies import reencrypt_copies
from cloud.guests.sealed import attach
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


def run(settings: GuestSettings, *, database_url: str, metadata: MetaData, reindex: bool = False) -> int:
    """``posada guests reencrypt``: every guest and every copy of guest data (the tables of
    ``metadata`` with sealed columns) under the active key, with the given settings."""
    cipher, index = keys_from(settings)
    vault = Vault(cipher=cipher, index=index)
    engine = make_engine(database_url)
    attach(engine, vault)
    try:
        count = reencrypt_all(make_sessionmaker(engine), vault)
        copies = reencrypt_copies(engine, vault, metadata, reindex=reindex)
    finally:
        engine.dispose()
    log.info("re-encrypted %d guests and %d copies under key %s", count, sum(copies.values()), cipher.active)
    return 0
