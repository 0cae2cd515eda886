# ruff: noqa: RUF001  (full-width punctuation is correct Chinese typography)
"""Telling the guest that a request is done: by email when the stay has an address, else by
WhatsApp, in the guest's language; queued on the durable outbox in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cloud.billing.stay_ledger import whatsapp_number
from cloud.notify.outbox import enqueue
from cloud.reservations.models import Reservation

TEXTS = {
    "en": ("Your request is done", "Hello {name}, your request ({service}) is done. Thank you!"),
    "es": ("Su solicitud está lista", "Hola {name}, su solicitud ({service}) está lista. ¡Gracias!"),
    "zh": ("您的服务请求已完成", "{name}您好，您的请求（{service}）已完成。谢谢！"),
}


def done_text(language: str, *, name: str, service: dict[str, str]) -> tuple[str, str]:
    """Subject and body in ``language`` (English when we have no such translation)."""
    lang = language if language in TEXTS else "en"
    subject, body = TEXTS[lang]
    label = service.get(lang) or service.get("en", "")
    return subject, body.format(name=name, service=label)


def tell_guest_done(
    session: Session, *, res: Reservation, site: str, service: dict[str, str], request_id: str, now: datetime
) -> str | None:
    """The channel used, or None when the stay has neither an email nor a WhatsApp number."""
    lang = res.guest_language if res.guest_language in TEXTS else "en"
    subject, text = done_text(lang, name=res.guest_name, service=service)
    phone = whatsapp_number(res.guest_phone)
    if res.guest_email:
        channel, recipient = "email", res.guest_email
    elif phone:
        channel, recipient = "whatsapp", phone.lstrip("+")
    else:
        return None
    enqueue(
        session,
        channel=channel,
        recipient=recipient,
        template="service_request_done",
        language=lang,
        payload={"text": text, "params": [res.guest_name], "subject": subject},
        dedupe_key=f"service-request-done:{request_id}",
        now=now,
        site=site,
    )
    return channel
