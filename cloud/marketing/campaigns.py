"""Segments and campaigns: define, send to the opted-in audience, count what came of it."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.billing.stay_ledger import whatsapp_number
from cloud.catalog.models import Property
from cloud.guests.models import Guest
from cloud.guests.vault import Vault
from cloud.loyalty.promotions import codes
from cloud.loyalty.promotions.models import OfferCode, OfferUse, Promotion
from cloud.marketing.audience import facts_of
from cloud.marketing.errors import AlreadySent, InvalidMarketing
from cloud.marketing.models import Campaign, Consent, Segment, Send
from cloud.marketing.segments import SegmentRules, audience
from cloud.marketing.unsubscribe import UnsubscribeSigner
from cloud.notify.outbox import enqueue
from cloud.reservations.models import Reservation
from mqtt.envelope import new_id

ATTRIBUTION = timedelta(days=30)  # a booking this soon after the message counts for the campaign


def rules_of(segment: Segment) -> SegmentRules:
    r = segment.rules
    return SegmentRules(
        countries=frozenset(r.get("countries", [])),
        tiers=frozenset(r.get("tiers", [])),
        stayed_within_days=r.get("stayed_within_days"),
        away_for_days=r.get("away_for_days"),
        min_spend_minor=r.get("min_spend_minor"),
        birth_month=r.get("birth_month"),
        sites=frozenset(r.get("sites", [])),
    )


@dataclass(frozen=True)
class Mailer:
    vault: Vault
    signer: UnsubscribeSigner
    base_url: str
    secret: str = ""  # offer codes' key: a campaign naming a chain promotion gives each guest their own code

    def send(self, session: Session, campaign: Campaign, *, actor: Principal, now: datetime) -> int:
        """Queue the campaign to its segment's opted-in guests (each once); returns how many."""
        if campaign.status == "sent":
            raise AlreadySent("this campaign was sent already")
        segment = session.get(Segment, campaign.segment_id)
        assert segment is not None
        rules = rules_of(segment)
        currency = (
            session.scalar(select(Property.currency).where(Property.slug.in_(rules.sites)).limit(1)) or "EUR"
        )
        facts = facts_of(session, self.vault, sites=rules.sites, currency=currency)
        chosen = audience(facts, rules, channel=campaign.channel, today=now.date())
        promo = personal_offer(session, campaign) if self.secret else None
        for guest_id in chosen:
            self._one(session, campaign, guest_id, now=now, promo=promo)
        campaign.status, campaign.sent_at = "sent", now
        detail = {"sent": len(chosen), "personal_codes": promo.code if promo else None}
        audit(session, actor, "marketing.send", "campaign", campaign.id, detail)
        return len(chosen)

    def _one(
        self, session: Session, campaign: Campaign, guest_id: str, *, now: datetime, promo: Promotion | None
    ) -> None:
        guest = session.get(Guest, guest_id)
        consent = session.get(Consent, guest_id)
        data = self.vault.open(guest) if guest else None
        if guest is None or data is None or consent is None or not getattr(consent, campaign.channel):
            return  # erased or unsubscribed since the audience was read
        language = guest.language if guest.language in campaign.texts else "en"
        text = campaign.texts.get(language) or next(iter(campaign.texts.values()))
        send = Send(
            id=new_id(),
            campaign_id=campaign.id,
            guest_id=guest_id,
            site=guest.site,
            language=language,
            sent_at=now,
            revenue_minor=0,
        )
        page_lang = {"zh": "zh-Hans"}.get(language, language)
        stop = f"{self.base_url.rstrip('/')}/guest/unsubscribe/{self.signer.sign(guest_id)}?lang={page_lang}"
        offer = campaign.offer_code
        if promo is not None:  # one code for this guest, used once, until the offer's last night
            (offer,) = codes.issue(
                session,
                promo,
                secret=self.secret,
                count=1,
                max_uses=1,
                now=now,
                valid_until=promo.stay_until - timedelta(days=1),
                guest_id=guest_id,
                actor=f"campaign:{campaign.id}",
                audited=False,
            )
        body = str(text["body"]).replace("{name}", data.name) + (f"\n\n{offer}" if offer else "")
        if campaign.channel == "email" and data.email:
            pixel = f"{self.base_url.rstrip('/')}/guest/m/{send.id}.gif"
            recipient, template, payload = (
                data.email,
                "marketing_email",
                _email(body, str(text["subject"]), stop, pixel),
            )
        elif campaign.channel == "whatsapp" and data.phone and whatsapp_number(data.phone):
            recipient, template = str(whatsapp_number(data.phone)).lstrip("+"), campaign.whatsapp_template
            payload = {"text": f"{body}\n{stop}", "params": [data.name, stop]}
        else:
            return
        session.add(send)
        enqueue(
            session,
            channel=campaign.channel,
            recipient=recipient,
            template=template,
            language=language,
            payload=payload,
            dedupe_key=f"marketing:{campaign.id}:{guest_id}",
            now=now,
            site=guest.site,
        )


def personal_offer(session: Session, campaign: Campaign) -> Promotion | None:
    """The chain promotion a campaign's offer code names (a birthday offer, say), if any."""
    if not campaign.offer_code:
        return None
    return session.scalar(
        select(Promotion).where(
            Promotion.chain == campaign.chain,
            Promotion.code == campaign.offer_code.lower(),
            Promotion.status == "active",
        )
    )


def _email(body: str, subject: str, stop: str, pixel: str) -> dict[str, Any]:
    """The email's text, its HTML twin with the open-counting image, and the one-click unsubscribe."""
    page = html.escape(f"{body}\n\n{stop}").replace("\n", "<br>")
    return {
        "text": f"{body}\n\n{stop}",
        "subject": subject,
        "params": [],
        "attachments": [],
        "unsubscribe": stop,
        "html": f'<p>{page}</p><img src="{pixel}" alt="" width="1" height="1">',
    }


def results(session: Session, campaign: Campaign) -> dict[str, Any]:
    """Sent, opened, booked (a reservation by the same guest within the attribution window) and revenue."""
    sends = list(session.scalars(select(Send).where(Send.campaign_id == campaign.id)))
    booked, revenue = 0, 0
    for send in sends:
        total = session.scalar(
            select(func.sum(Reservation.total_minor)).where(
                Reservation.guest_id == send.guest_id,
                Reservation.status != "cancelled",
                Reservation.created_at >= send.sent_at,
                Reservation.created_at <= send.sent_at + ATTRIBUTION,
            )
        )
        if total:
            booked, revenue = booked + 1, revenue + int(total)
    with_code = session.execute(
        select(func.count(OfferUse.id), func.coalesce(func.sum(Reservation.total_minor), 0))
        .join(OfferCode, OfferCode.id == OfferUse.code_id)
        .join(Reservation, Reservation.id == OfferUse.reservation_id)
        .where(OfferCode.created_by == f"campaign:{campaign.id}", OfferUse.released_at.is_(None))
    ).one()
    return {
        "campaign": campaign.id,
        "status": campaign.status,
        "sent": len(sends),
        "opened": sum(1 for s in sends if s.opened_at is not None),
        "booked": booked,
        "revenue_minor": revenue,
        "booked_with_code": int(with_code[0]),
        "revenue_with_code_minor": int(with_code[1]),
    }


def check_texts(texts: dict[str, dict[str, str]]) -> None:
    if "en" not in texts or not set(texts) <= {"en", "es", "zh"}:
        raise InvalidMarketing("texts in en (required), es and zh, each with a subject and a body")
