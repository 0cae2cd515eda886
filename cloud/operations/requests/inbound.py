# ruff: noqa: RUF001  (full-width punctuation and the multiplication sign are meant)
"""A guest's WhatsApp or Telegram message becomes a service request for the sender's in-house stay.

The notification webhooks hand every verified inbound message to this hook, inside their transaction.
On WhatsApp the sender is found by the blind index of the stay's phone; on Telegram the chat is tied
to the stay once the guest shares their own contact (the same phone match). The message must name one
service type (``message_intent``). The request is made through ``service.ask`` like the desk's, in a
savepoint, so a refusal (a priced service, a stay that left) changes nothing; a redelivered message
(the same WhatsApp id) makes nothing new; the guest gets an acknowledgement in their language."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property, Room
from cloud.core.errors import DomainError
from cloud.core.nights import local_today
from cloud.notify.inbound import START_WORDS, STOP_WORDS, Inbound
from cloud.notify.outbox import enqueue
from cloud.operations.requests.message_intent import read_intent
from cloud.operations.requests.models import ChatLink, ServiceRequest, ServiceType
from cloud.operations.requests.service import Ask, ask
from cloud.reservations.models import Reservation, RoomAllocation

log = logging.getLogger(__name__)

ACK = {
    "en": "Thank you, {name}: we have your request ({service} ×{quantity}) "
    "and will let you know when it is done.",
    "es": "Gracias, {name}: hemos recibido su solicitud ({service} ×{quantity}) "
    "y le avisaremos cuando esté lista.",
    "zh": "{name}，谢谢：我们已收到您的请求（{service} ×{quantity}），完成后会通知您。",
}


def request_from_message(session: Session, message: Inbound, *, now: datetime) -> ServiceRequest | None:
    """The request made from this message, or None (not a guest in house, not a request, a repeat)."""
    if message.channel == "telegram" and message.phone:
        _link_chat(session, message, now=now)
        return None
    if message.channel not in ("whatsapp", "telegram") or not message.text:
        return None
    if message.text.casefold() in STOP_WORDS | START_WORDS:
        return None
    ref = message.message_id or f"{message.address}:{message.at.isoformat()}"
    actor = f"{message.channel}:{ref}"[:100]
    if session.scalar(select(ServiceRequest.id).where(ServiceRequest.created_by == actor)) is not None:
        return None  # a webhook delivered again (the sender was not sure we had it)
    res = _sender_stay(session, message)
    if res is None:
        return None  # nobody in house with that number or chat, or several stays: the desk answers
    prop = session.get(Property, res.property_id)
    assert prop is not None
    types = list(
        session.scalars(select(ServiceType).where(ServiceType.property_id == prop.id, ServiceType.active))
    )
    intent = read_intent(message.text, ((t.code, t.names) for t in types))
    if intent is None:
        return None
    body = Ask(
        type_code=intent.type_code,
        source="message",
        reservation_id=res.id,
        room=_room_of(session, res, prop, now=now),
        quantity=intent.quantity,
        note=message.text[:400],
    )
    try:
        with session.begin_nested():
            row = ask(session, site=prop.slug, body=body, actor=actor, now=now)
    except DomainError as exc:
        log.info("message from a guest of %s not taken as a request: %s", prop.slug, exc)
        return None
    kind = next(t for t in types if t.code == intent.type_code)
    _acknowledge(session, res, prop.slug, row, names=kind.names, message=message, now=now)
    return row


def _stays_by_phone(session: Session, digits: str) -> list[Reservation]:
    return list(
        session.scalars(
            select(Reservation).where(
                Reservation.guest_phone_bidx == f"+{digits}", Reservation.status == "checked_in"
            )
        )
    )


def _sender_stay(session: Session, message: Inbound) -> Reservation | None:
    """WhatsApp: the one in-house stay with the sender's number; Telegram: the stay the chat was tied to."""
    if message.channel == "whatsapp":
        stays = _stays_by_phone(session, message.address)
        return stays[0] if len(stays) == 1 else None
    link = session.get(ChatLink, ("telegram", message.address))
    res = session.get(Reservation, link.reservation_id) if link is not None else None
    return res if res is not None and res.status == "checked_in" else None


def _link_chat(session: Session, message: Inbound, *, now: datetime) -> None:
    """A Telegram guest shared their own number: tie the chat to their one in-house stay."""
    stays = _stays_by_phone(session, message.phone)
    if len(stays) != 1:
        return
    link = session.get(ChatLink, ("telegram", message.address))
    if link is None:
        session.add(
            ChatLink(channel="telegram", address=message.address, reservation_id=stays[0].id, linked_at=now)
        )
    else:
        link.reservation_id, link.linked_at = stays[0].id, now
    session.flush()


def _room_of(session: Session, res: Reservation, prop: Property, *, now: datetime) -> str:
    today = local_today(now, prop.timezone)
    slug = session.scalar(
        select(Room.slug)
        .join(RoomAllocation, RoomAllocation.room_id == Room.id)
        .where(RoomAllocation.reservation_id == res.id, RoomAllocation.start_night <= today)
        .order_by(RoomAllocation.start_night.desc())
        .limit(1)
    )
    return slug or ""


def _acknowledge(
    session: Session,
    res: Reservation,
    site: str,
    row: ServiceRequest,
    *,
    names: dict[str, str],
    message: Inbound,
    now: datetime,
) -> None:
    lang = res.guest_language if res.guest_language in ACK else "en"
    text = ACK[lang].format(
        name=res.guest_name, service=names.get(lang) or names.get("en", ""), quantity=row.quantity
    )
    enqueue(
        session,
        channel=message.channel,
        recipient=message.address,
        template="service_request_received",
        language=lang,
        payload={"text": text, "params": [res.guest_name]},
        dedupe_key=f"service-request-received:{row.id}",
        now=now,
        site=site,
    )
