"""Guest messages about money: booking confirmation with the payment QR, reminders, escalation."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloud.billing import property_terms as terms
from cloud.billing.amount_text import amount_text
from cloud.billing.errors import BillingConflict
from cloud.billing.folio import Payer
from cloud.billing.models import Folio
from cloud.billing.payment_qr import folio_qr_payload
from cloud.billing.service import balances, get_folio
from cloud.billing.settings import BillingSettings
from cloud.core.money import Money
from cloud.notify.local_time import local_time
from cloud.notify.outbox import enqueue, image_payload
from cloud.notify.schedule import Due, ReminderPlan, due_reminders
from cloud.notify.settings import NotifySettings
from cloud.notify.templates import render
from cloud.payments.qr_image import qr_png
from cloud.reservations.models import Reservation

log = logging.getLogger(__name__)


def plan_of(settings: NotifySettings) -> ReminderPlan:
    return ReminderPlan(
        before_arrival=timedelta(hours=settings.reminder_before_arrival_h),
        checkout_before=timedelta(minutes=settings.reminder_checkout_before_min),
        after_departure=tuple(timedelta(hours=h) for h in settings.reminder_after_departure_h),
        escalate_after=settings.reminder_escalate_after,
    )


def _qr(folio: Folio, amount: Money, billing: BillingSettings) -> bytes | None:
    try:
        return qr_png(folio_qr_payload(folio, amount=amount, settings=billing))
    except BillingConflict as exc:  # nothing owed, or QR payments not configured
        log.info("no payment QR for folio %s: %s", folio.id, exc.detail)
        return None


def on_booking_confirmed(
    session: Session, *, folio_id: str, amount_due: Money, hotel: str,
    billing: BillingSettings, now: datetime,
) -> bool:
    """WhatsApp the booking, how to pay and the payment QR; False if no phone or already sent."""
    folio = get_folio(session, folio_id)
    if not folio.guest_phone:
        return False
    lang, country = folio.guest_language, terms.issuer(session, billing, folio.site).country
    text = render("booking_confirmation", lang, {
        "name": folio.guest_name, "booking": folio.reservation_id or folio.id, "hotel": hotel,
        "arrival": _day(folio.arrival_at), "departure": _day(folio.checkout_at),
        "amount": amount_text(amount_due, lang, country)})
    png = _qr(folio, amount_due, billing) if amount_due.minor > 0 else None
    return enqueue(session, channel="whatsapp", recipient=folio.guest_phone.lstrip("+"),
                   template="booking_confirmation", language=text.language,
                   payload=image_payload(text.text, png, text.params),
                   dedupe_key=f"booking:{folio.id}", now=now, site=folio.site,
                   alternatives=_alternatives(session, folio))


def run_reminders(session: Session, *, now: datetime, billing: BillingSettings,
                  notify: NotifySettings) -> int:
    """Queue every reminder now due; safe to run as often as you like. Returns how many."""
    plan = plan_of(notify)
    horizon = now + plan.before_arrival
    candidates = session.scalars(select(Folio).where(
        Folio.kind == "stay", Folio.guest_phone.is_not(None),
        or_(Folio.status == "open", Folio.departed_at.is_not(None)),
        or_(Folio.arrival_at.is_(None), Folio.arrival_at <= horizon)))
    queued = 0
    for folio in candidates:
        owed = balances(session, folio)[Payer.GUEST]
        for due in due_reminders(plan, now=now, owed=owed.minor > 0,
                                 arrival_at=_utc(folio.arrival_at),
                                 checkout_at=_utc(folio.checkout_at),
                                 departed_at=_utc(folio.departed_at)):
            queued += _queue(session, folio, due, owed=owed, billing=billing, notify=notify,
                             now=now)
    return queued


def _queue(session: Session, folio: Folio, due: Due, *, owed: Money,
           billing: BillingSettings, notify: NotifySettings, now: datetime) -> int:
    booking = folio.reservation_id or folio.id
    if due.audience == "front_desk":
        chat = notify.telegram_front_desk_chats.get(folio.site)
        if chat is None:
            log.warning("no front desk chat for %s; folio %s overdue", folio.site, folio.id)
            return 0
        text = render(due.template, notify.notify_staff_language, {
            "name": folio.guest_name, "booking": booking, "count": str(due.step),
            "amount": amount_text(owed, notify.notify_staff_language,
                                  terms.issuer(session, billing, folio.site).country)})
        return int(enqueue(session, channel="telegram", recipient=chat, template=due.template,
                           language=text.language, payload=image_payload(text.text, None, []),
                           dedupe_key=f"reminder:{folio.id}:{due.key}", now=now, site=folio.site))
    lang, country = folio.guest_language, terms.issuer(session, billing, folio.site).country
    text = render(due.template, lang, {
        "name": folio.guest_name, "booking": booking,
        "amount": amount_text(owed, lang, country),
        "checkout": local_time(folio.checkout_at, folio.site, notify)})
    png = _qr(folio, owed, billing) if due.template == "payment_reminder" else None
    return int(enqueue(session, channel="whatsapp", recipient=str(folio.guest_phone).lstrip("+"),
                       template=due.template, language=text.language,
                       payload=image_payload(text.text, png, text.params),
                       dedupe_key=f"reminder:{folio.id}:{due.key}", now=now, site=folio.site,
                       alternatives=_alternatives(session, folio)))


def _alternatives(session: Session, folio: Folio) -> dict[str, str] | None:
    """The guest's other channel, offered by the failed-messages page if WhatsApp fails."""
    reservation = session.get(Reservation, folio.reservation_id) if folio.reservation_id else None
    return {"email": reservation.guest_email} if reservation and reservation.guest_email else None


def _utc(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _day(ts: datetime | None) -> str:
    return ts.date().isoformat() if ts else "-"
