"""Guests for the campaign half of the done-when test: who is in the segment, who opted in."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from cloud.notify.models import OutboxMessage
from tests.cloud.loyalty.chain import Chain

# (desk, name, nationality, email opt-in, whatsapp opt-in): only the first is in both segment and consent
GUESTS = [
    ("hotel", "Paula Gil", "ES", True, False),
    ("hotel", "Rosa Vidal", "ES", False, False),  # never opted in
    ("hotel", "Jean Roux", "FR", True, True),  # outside the segment's countries
    ("annex", "Elena Sanz", "ES", True, False),  # another hotel than the segment's
    ("hotel", "Nuria Pons", "ES", False, True),  # opted in to WhatsApp only
]


def register(chain: Chain) -> dict[str, str]:
    ids = {}
    for site, name, country, email, whatsapp in GUESTS:
        handle = name.split()[0].lower()
        body = {
            "name": name,
            "nationality": country,
            "email": f"{handle}@example.com",
            "phone": "+34 600 000 001",
            "language": "es",
        }
        guest = chain.call(f"front_desk-{site}", "POST", "/api/v1/guests", 201, json=body)
        chain.call(
            f"front_desk-{site}",
            "PUT",
            f"/api/v1/marketing/guests/{guest['id']}/consent",
            204,
            json={"email": email, "whatsapp": whatsapp},
        )
        ids[handle] = guest["id"]
    return ids


def campaign(chain: Chain, segment_id: str, name: str) -> dict[str, Any]:
    texts = {
        "en": {"subject": "Spring at the hotel", "body": "Hello {name}, spring rooms are ready."},
        "es": {
            "subject": "Primavera en el hotel",
            "body": "Hola {name}, ya tenemos habitaciones de primavera.",
        },
    }
    made: dict[str, Any] = chain.call(
        "manager-hotel",
        "POST",
        "/api/v1/marketing/campaigns",
        201,
        json={
            "segment_id": segment_id,
            "name": name,
            "channel": "email",
            "texts": texts,
            "offer_code": "SPRING-27",
        },
    )
    return made


def marketing_messages(chain: Chain) -> list[OutboxMessage]:
    with chain.app.services.sessions() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.template == "marketing_email")
                .order_by(OutboxMessage.created_at)
            )
        )


def path_of(url: str) -> str:
    found = re.search(r"(/guest/[^?]*)", url)
    assert found, url
    return found.group(1)
