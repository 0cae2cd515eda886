"""Column types that keep every copy of a guest's personal data encrypted at rest.

Reservations, folios, invoices, queued messages, channel bookings and pre-check-ins hold copies of
what the guest registry holds; they are sealed under the registry's rotating data keys
(AES-256-GCM, the table and column authenticated) and searchable through the registry's keyed
blind index. The keys ride on the engine's dialect (:func:`attach`, done by the app factory, the
migrations and the commands), so Core and ORM statements alike encrypt on write and decrypt on
read; an engine nobody attached keys to uses the keys derived from the default secret, which only
the demo and the tests may run with (``posada cloud`` refuses them).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from sqlalchemy import String, Text, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import TypeDecorator

from cloud.guests.crypto import BlindIndex, keys_from, name_tokens, normalize_email, normalize_phone
from cloud.guests.settings import GuestSettings
from cloud.guests.vault import Vault

PREFIX_MIN = 3  # a name word is findable by any prefix of at least this many letters
WORD_MAX = 24  # longer words are indexed up to this length
TOKEN_HEX = 16  # each word's keyed hash, shortened: 64 bits is plenty to tell words apart


@functools.cache
def _derived() -> Vault:
    cipher, index = keys_from(
        GuestSettings(
            secret_key=GuestSettings.model_fields["secret_key"].default, guest_keys="", guest_index_key=""
        )
    )
    return Vault(cipher=cipher, index=index)


def attach(engine: Engine, vault: Vault) -> None:
    """Statements on ``engine`` seal and open personal data with ``vault``'s keys."""
    engine.dialect.posada_vault = vault  # type: ignore[attr-defined]


def vault_of(dialect: Dialect) -> Vault:
    found: Vault | None = getattr(dialect, "posada_vault", None)
    return found if found is not None else _derived()


def session_vault(session: Session) -> Vault:
    """The keys of the engine a session talks to (to compute search hashes)."""
    return vault_of(session.get_bind().dialect)


class SealedText(TypeDecorator[str]):
    """Text encrypted under the active data key; ``context`` (table.column) is authenticated."""

    impl = Text
    cache_ok = True
    personal_data = True  # the audit trail names such a column, never copies it

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else vault_of(dialect).cipher.encrypt(value, context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else vault_of(dialect).cipher.decrypt(value, context=self.context)


class SealedJson(TypeDecorator[Any]):
    """A JSON document encrypted as a whole (a message's parameters, a booking's detail)."""

    impl = Text
    cache_ok = True
    personal_data = True  # the audit trail names such a column, never copies it

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return vault_of(dialect).cipher.encrypt(json.dumps(value, sort_keys=True), context=self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return (
            None
            if value is None
            else json.loads(vault_of(dialect).cipher.decrypt(value, context=self.context))
        )


def normalize_address(address: str) -> str:
    """An e-mail address folded, any other address (phone, chat id) as its digits."""
    return normalize_email(address) if "@" in address else re.sub(r"\D", "", address)


NORMALIZERS = {"email": normalize_email, "phone": normalize_phone, "address": normalize_address}
# What ``BlindIndex.digest`` stores: 40 hex digits, which no normalized e-mail (it has an "@"),
# phone number (at most 15 digits) or chat id can be. A row read back holds this hash, not the
# plain value, so the ORM binds it again when it updates the row by a blind key.
DIGEST = re.compile(r"[0-9a-f]{40}")


class BlindKey(TypeDecorator[str]):
    """Written as the plain value, stored as its keyed hash: equality search without the value.

    Compare the column with a plain value (``Reservation.guest_email_bidx == "Ana@X.org"``) and
    the bound parameter is hashed the same way.
    """

    impl = String(40)
    cache_ok = True
    personal_data = True  # the audit trail names such a column, never copies it

    def __init__(self, kind: str, *, source: str) -> None:
        super().__init__()
        self.kind = kind
        self.source = source  # the sealed column it indexes (for re-keying)

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if DIGEST.fullmatch(value):  # already the stored hash: a loaded row's key, bound back
            return value
        return blind_key(vault_of(dialect).index, self.kind, value)


def blind_key(index: BlindIndex, kind: str, value: str) -> str | None:
    normalized = NORMALIZERS[kind](value)
    return index.digest(kind, normalized) if normalized else None


def word_hashes(index: BlindIndex, name: str) -> set[str]:
    """Every word of a name and every prefix of PREFIX_MIN letters or more, as short keyed hashes."""
    found: set[str] = set()
    for word in name_tokens(name):
        word = word[:WORD_MAX]
        found.add(index.digest("word", word)[:TOKEN_HEX])
        found.update(index.digest("word", word[:n])[:TOKEN_HEX] for n in range(PREFIX_MIN, len(word)))
    return found


def query_hashes(index: BlindIndex, text: str) -> list[str]:
    """The hash of each word of a search (its first WORD_MAX letters), to match against NameWords."""
    return [index.digest("word", w[:WORD_MAX])[:TOKEN_HEX] for w in sorted(name_tokens(text))]


class NameWords(TypeDecorator[str]):
    """Written as a plain name, stored as `` h1 h2 … `` (sorted word and prefix hashes)."""

    impl = Text
    cache_ok = True
    personal_data = True  # the audit trail names such a column, never copies it

    def __init__(self, *, source: str) -> None:
        super().__init__()
        self.source = source  # the sealed column it indexes (for re-keying)

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return " " + " ".join(sorted(word_hashes(vault_of(dialect).index, value))) + " "


def mirror(source: InstrumentedAttribute[Any], *targets: str) -> None:
    """Setting ``source`` also sets each target (a blind index column) to the same plain value."""

    def copy(target: object, value: Any, _old: Any, _initiator: Any) -> Any:
        for name in targets:
            setattr(target, name, value)
        return value

    event.listen(source, "set", copy, retval=True)
