"""Guest emails queued in the caller's transaction on the durable outbox (channel ``email``):
the confirmation with the receipt after payment, the pre-arrival message with the pre-check-in
link, the invoice at checkout and the cancellation, in the guest's language, from the hotel's
own text where it wrote one."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cloud.billing.fonts import FontChoice
from cloud.catalog.models import Property
from cloud.core.money import Money
from cloud.core.nights import local_instant
from cloud.guestweb.email_texts import DEFAULTS, EmailText, render
from cloud.guestweb.links import LinkSigner
from cloud.guestweb.models import EmailTemplate
from cloud.guestweb.receipt import Receipt, render_receipt
from cloud.i18n import formatting
from cloud.notify.outbox import enqueue
from cloud.reservations.models import Reservation

log = logging.getLogger(__name__)
TAGS = {"en": "en", "es": "es", "zh": "zh-Hans"}
RECIPIENT_MAX = 254  # the longest address SMTP carries (RFC 5321)
PRE_ARRIVAL_DAYS = 2


@dataclass(frozen=True)
class Mailer:
    """Where links in emails point and how they are signed."""

    base_url: str
    signer: LinkSigner
    link_days: int
    font: Callable[[], FontChoice]

    def link(self, purpose: str, res: Reservation, site: str, *, now: datetime) -> str:
        ref = self.signer.sign(purpose=purpose, reservation_id=res.id,
                               expires_at=now + timedelta(days=self.link_days))
        path = {"stay": "stay", "precheckin": "precheckin", "optout": "optout"}[purpose]
        lang = TAGS.get(res.guest_language, "en")
        return f"{self.base_url.rstrip('/')}/guest/{site}/{path}/{ref}?lang={lang}"


def text_for(session: Session, prop: Property, template: str, language: str) -> EmailText:
    own = session.get(EmailTemplate, (prop.id, template, language))
    if own is not None:
        return EmailText(own.subject, own.body)
    subject, body = DEFAULTS[template].get(language, DEFAULTS[template]["en"])
    return EmailText(subject, body)


def _money(minor: int, currency: str, language: str) -> str:
    return formatting.money(minor, currency, tag=TAGS.get(language, "en"))


def _day(res: Reservation, which: str) -> str:
    return formatting.day(getattr(res, which), tag=TAGS.get(res.guest_language, "en"))


def _queue(session: Session, res: Reservation, prop: Property, mail: Mailer, *, template: str,
           values: dict[str, str], now: datetime, key: str, attachments: list[dict[str, str]] | None = None,
           not_before: datetime | None = None) -> bool:
    address = res.guest_email
    if not address or len(address) > RECIPIENT_MAX:
        log.warning("reservation %s: no email address the outbox can hold; %s not sent", res.id, template)
        return False
    text = render(text_for(session, prop, template, res.guest_language), values, template)
    payload = {"text": text.body, "params": [], "subject": text.subject,
               "attachments": attachments or [],
               "unsubscribe": mail.link("optout", res, prop.slug, now=now)}
    return enqueue(session, channel="email", recipient=address, template=f"email_{template}",
                   language=res.guest_language, payload=payload, dedupe_key=f"email:{template}:{key}",
                   now=now, not_before=not_before)


def booking_confirmed(session: Session, res: Reservation, *, paid: Money, reference: str, now: datetime,
                      mail: Mailer) -> None:
    """The confirmation with the payment receipt, and the pre-arrival message for later."""
    prop = session.get(Property, res.property_id)
    assert prop is not None
    lang = res.guest_language
    amount = _money(paid.minor, paid.currency, lang)
    precheckin = mail.link("precheckin", res, prop.slug, now=now)
    pdf = render_receipt(Receipt(hotel=prop.name, guest=res.guest_name,
                                 stay=f"{_day(res, 'arrival')} - {_day(res, 'departure')}",
                                 amount=amount, paid_at=now, reference=reference, language=lang),
                         font=mail.font())
    _queue(session, res, prop, mail, template="booking_confirmed", now=now, key=reference, values={
        "name": res.guest_name, "hotel": prop.name, "arrival": _day(res, "arrival"),
        "departure": _day(res, "departure"), "paid": amount,
        "total": _money(res.total_minor, res.currency, lang),
        "link": mail.link("stay", res, prop.slug, now=now), "precheckin": precheckin},
        attachments=[{"filename": "receipt.pdf", "content_type": "application/pdf",
                      "b64": base64.b64encode(pdf).decode()}])
    arrival_at = local_instant(res.arrival, prop.checkin_from, prop.timezone)
    _queue(session, res, prop, mail, template="pre_arrival", now=now, key=res.id,
           not_before=max(now, arrival_at - timedelta(days=PRE_ARRIVAL_DAYS)), values={
               "name": res.guest_name, "hotel": prop.name, "arrival": _day(res, "arrival"),
               "checkin_from": prop.checkin_from.strftime("%H:%M"), "precheckin": precheckin})


def payment_received(session: Session, res: Reservation, *, paid: Money, reference: str, now: datetime,
                     mail: Mailer) -> None:
    """The receipt of a payment made in house (the balance at check-out, a payment link)."""
    prop = session.get(Property, res.property_id)
    assert prop is not None
    amount = _money(paid.minor, paid.currency, res.guest_language)
    pdf = render_receipt(Receipt(hotel=prop.name, guest=res.guest_name,
                                 stay=f"{_day(res, 'arrival')} - {_day(res, 'departure')}",
                                 amount=amount, paid_at=now, reference=reference,
                                 language=res.guest_language),
                         font=mail.font())
    _queue(session, res, prop, mail, template="payment_received", now=now, key=reference, values={
        "name": res.guest_name, "hotel": prop.name, "paid": amount,
        "link": mail.link("stay", res, prop.slug, now=now)},
        attachments=[{"filename": "receipt.pdf", "content_type": "application/pdf",
                      "b64": base64.b64encode(pdf).decode()}])


def booking_cancelled(session: Session, res: Reservation, *, now: datetime, mail: Mailer) -> None:
    prop = session.get(Property, res.property_id)
    assert prop is not None
    _queue(session, res, prop, mail, template="booking_cancelled", now=now, key=res.id, values={
        "name": res.guest_name, "hotel": prop.name, "arrival": _day(res, "arrival"),
        "departure": _day(res, "departure"),
        "fee": _money(res.cancellation_fee_minor, res.currency, res.guest_language)})


def stay_invoice(session: Session, res: Reservation, *, number: str, pdf: bytes, total: Money, paid: Money,
                 now: datetime, mail: Mailer) -> None:
    prop = session.get(Property, res.property_id)
    assert prop is not None
    lang = res.guest_language
    _queue(session, res, prop, mail, template="stay_invoice", now=now, key=number, values={
        "name": res.guest_name, "hotel": prop.name, "number": number,
        "total": _money(total.minor, total.currency, lang), "paid": _money(paid.minor, paid.currency, lang),
        "link": mail.link("stay", res, prop.slug, now=now)},
        attachments=[{"filename": f"invoice-{number}.pdf", "content_type": "application/pdf",
                      "b64": base64.b64encode(pdf).decode()}])


def payment_link(session: Session, res: Reservation, *, amount: Money, now: datetime, mail: Mailer) -> str:
    """The desk's payment link, queued to the guest; the link itself (for the desk to show or copy)."""
    prop = session.get(Property, res.property_id)
    assert prop is not None
    link = mail.link("stay", res, prop.slug, now=now)
    _queue(session, res, prop, mail, template="payment_link", now=now,
           key=f"{res.id}:{amount.minor}:{int(now.timestamp())}", values={
               "name": res.guest_name, "hotel": prop.name, "link": link,
               "amount": _money(amount.minor, amount.currency, res.guest_language)})
    return link
