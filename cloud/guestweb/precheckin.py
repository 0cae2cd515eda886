"""Pre-check-in: the guest confirms their details, arrival time, preferences and ID document before
arriving, and signs the registration card by typing their name.

The document goes into the guest registry, sealed by its vault like every guest's (the booking is
linked to that profile); only the arrival time, the signature and the retention date are kept
here. The document is erased from the profile when its retention ends (the sweeper).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property
from cloud.core.errors import DomainError
from cloud.guests import registry
from cloud.guests.schemas import Document, GuestInput, Preferences
from cloud.guests.vault import Vault
from cloud.guestweb import id_documents
from cloud.guestweb.models import PreCheckIn
from cloud.reservations.errors import WrongState
from cloud.reservations.models import Reservation

ACTOR = "guest:self-service"
LANGUAGE: dict[str, Literal["en", "es", "zh"]] = {"en": "en", "es": "es", "zh": "zh"}


class InvalidDocument(DomainError):
    status = 422
    type_ = "/problems/guestweb/invalid-document"
    title = "The ID document number is not valid"


class PreCheckInIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    nationality: str = Field(pattern=r"^[A-Z]{2}$")
    birth_date: date
    doc_type: Literal["passport", "national_id", "driving_licence", "residence_permit"]
    doc_number: str = Field(min_length=3, max_length=40, pattern=r"^[0-9A-Za-z][0-9A-Za-z -]*$")
    doc_country: str = Field(pattern=r"^[A-Z]{2}$")
    arrival_time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    pillow: Literal["", "soft", "firm", "feather", "hypoallergenic"] = ""
    diet: Literal["", "vegetarian", "vegan", "halal", "kosher", "gluten_free", "lactose_free"] = ""
    floor: Literal["", "low", "high"] = ""
    signed_name: str = Field(min_length=1, max_length=200)
    accept: Literal["yes"]


def retention_end(res: Reservation, *, days: int) -> datetime:
    return res.checkout_due_at + timedelta(days=days)


def submit(session: Session, vault: Vault, *, res: Reservation, form: PreCheckInIn, now: datetime,
           retention_days: int) -> PreCheckIn:
    """Check the document's form, seal it in the registry, keep the rest; all or nothing."""
    if res.status != "booked":
        raise WrongState(f"a {res.status} booking cannot be pre-checked-in")
    why = id_documents.problem(kind=form.doc_type, country=form.doc_country, number=form.doc_number)
    if why is not None:
        raise InvalidDocument(f"the document number does not have the form of a {form.doc_country} "
                              f"{form.doc_type}", kind=why)
    try:
        data = GuestInput(
            name=form.name, email=res.guest_email, nationality=form.nationality, birth_date=form.birth_date,
            document=Document(type=form.doc_type, number=form.doc_number.upper(), country=form.doc_country),
            preferences=Preferences(pillow=form.pillow, diet=form.diet, floor=form.floor),
            language=LANGUAGE.get(res.guest_language, ""))
    except ValidationError as exc:
        raise InvalidDocument(str(exc.errors()[0].get("msg", "invalid")), kind="details") from None
    prop = session.get(Property, res.property_id)
    assert prop is not None
    if res.guest_id is None:
        guest = registry.register(session, vault, actor=ACTOR, site=prop.slug, data=data)
        res.guest_id = guest.id
    else:
        registry.update(session, vault, actor=ACTOR, guest=registry.load(session, res.guest_id), data=data)
    row = session.get(PreCheckIn, res.id) or PreCheckIn(reservation_id=res.id)
    row.arrival_time, row.signed_name, row.completed_at = form.arrival_time, form.signed_name, now
    row.document_until = retention_end(res, days=retention_days)
    session.add(row)
    session.flush()
    return row


def erase_expired_documents(session: Session, vault: Vault, *, now: datetime, limit: int = 100) -> int:
    """Take the ID document off the profiles whose pre-check-in retention has ended."""
    due = list(session.scalars(select(PreCheckIn).where(
        PreCheckIn.document_erased_at.is_(None), PreCheckIn.document_until <= now).limit(limit)))
    for row in due:
        res = session.get(Reservation, row.reservation_id)
        if res is not None and res.guest_id is not None:
            guest = registry.load(session, res.guest_id)
            data = vault.open(guest)
            if data is not None and guest.erased_at is None and guest.merged_into is None:
                kept = data.model_copy(update={"document": None, "language": guest.language or ""})
                registry.update(session, vault, actor=ACTOR, guest=guest, data=kept)
        row.document_erased_at = now
    return len(due)
