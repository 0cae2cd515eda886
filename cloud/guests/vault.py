"""Seals a guest's personal data into its row (ciphertexts, blind indexes) and opens it again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from cloud.core import plain_inserts
from cloud.guests.crypto import (
    BlindIndex,
    FieldCipher,
    name_tokens,
    normalize_document,
    normalize_email,
    normalize_phone,
)
from cloud.guests.models import Guest, GuestNameToken
from cloud.guests.schemas import Document, GuestInput, Preferences

ENCRYPTED_FIELDS = ("name", "email", "phone", "document", "details", "preferences", "notes")


@dataclass(frozen=True)
class Vault:
    cipher: FieldCipher
    index: BlindIndex

    def _seal(self, guest: Guest, field: str, value: str | None) -> None:
        token = None if value is None else self.cipher.encrypt(value, context=f"guests:{guest.id}:{field}")
        setattr(guest, f"{field}_enc", token)

    def _open(self, guest: Guest, field: str) -> str | None:
        token: str | None = getattr(guest, f"{field}_enc")
        return None if token is None else self.cipher.decrypt(token, context=f"guests:{guest.id}:{field}")

    def seal(self, session: Session, guest: Guest, data: GuestInput, *, new: bool = False) -> None:
        """Write every personal field encrypted and refresh the blind indexes and name tokens.

        ``new``: the profile is not written yet, so it has no name tokens to clear."""
        details = {"nationality": data.nationality, "address": data.address,
                   "birth_date": data.birth_date.isoformat() if data.birth_date else None}
        self._seal(guest, "name", data.name)
        self._seal(guest, "email", data.email)
        self._seal(guest, "phone", data.phone)
        self._seal(guest, "document", data.document.model_dump_json() if data.document else None)
        self._seal(guest, "details", json.dumps(details))
        self._seal(guest, "preferences", data.preferences.model_dump_json())
        self._seal(guest, "notes", data.notes)
        self.reindex(session, guest, data, new=new)

    def reindex(self, session: Session, guest: Guest, data: GuestInput, *, new: bool = False) -> None:
        guest.name_bidx = self.index.digest("name", " ".join(sorted(name_tokens(data.name))))
        guest.email_bidx = self.index.digest("email", normalize_email(data.email)) if data.email else None
        guest.phone_bidx = self.index.digest("phone", normalize_phone(data.phone)) if data.phone else None
        doc = data.document
        guest.document_bidx = (self.index.digest("document", normalize_document(doc.country, doc.number))
                               if doc else None)
        if not new:
            session.execute(delete(GuestNameToken).where(GuestNameToken.guest_id == guest.id))
            session.flush()
        for token in name_tokens(data.name):
            values = {"guest_id": guest.id, "token": self.index.digest("word", token)}
            if not plain_inserts.add_values(session, GuestNameToken, values):
                session.add(GuestNameToken(**values))

    def open(self, guest: Guest) -> GuestInput | None:
        """The decrypted personal data, or None once erased."""
        name = self._open(guest, "name")
        if name is None:
            return None
        details: dict[str, Any] = json.loads(self._open(guest, "details") or "{}")
        document = self._open(guest, "document")
        return GuestInput.model_construct(
            name=name, email=self._open(guest, "email"), phone=self._open(guest, "phone"),
            document=Document.model_validate_json(document) if document else None,
            nationality=details.get("nationality"), address=details.get("address"),
            birth_date=date.fromisoformat(details["birth_date"]) if details.get("birth_date") else None,
            preferences=Preferences.model_validate_json(self._open(guest, "preferences") or "{}"),
            notes=self._open(guest, "notes") or "",
        )

    def wipe(self, session: Session, guest: Guest) -> None:
        for field in ENCRYPTED_FIELDS:
            setattr(guest, f"{field}_enc", None)
        guest.name_bidx = guest.email_bidx = guest.phone_bidx = guest.document_bidx = None
        session.execute(delete(GuestNameToken).where(GuestNameToken.guest_id == guest.id))

    def query_tokens(self, text: str) -> list[str]:
        return [self.index.digest("word", t) for t in name_tokens(text)]

    def email_key(self, email: str) -> str:
        return self.index.digest("email", normalize_email(email))

    def phone_key(self, phone: str) -> str:
        return self.index.digest("phone", normalize_phone(phone))

    def document_key(self, country: str, number: str) -> str:
        return self.index.digest("document", normalize_document(country, number))

