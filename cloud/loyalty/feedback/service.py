"""Opening a survey (queued to the guest by email or WhatsApp), answering it, alerting the manager.

The guest's address comes from the registry profile (decrypted only to queue the message);
the link carries a random token stored hashed, so the table alone opens no survey.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.models import StaffUser
from cloud.billing.stay_ledger import whatsapp_number
from cloud.catalog.models import Property
from cloud.guests.models import Guest
from cloud.guests.vault import Vault
from cloud.loyalty import chain_rules, ledger, membership
from cloud.loyalty.errors import InvalidLoyalty, SurveyNotFound
from cloud.loyalty.feedback import texts
from cloud.loyalty.feedback.survey import BadAnswer, check
from cloud.loyalty.models import Survey
from cloud.loyalty.rules import EarningRules
from cloud.notify.outbox import enqueue
from cloud.reservations.models import Reservation
from mqtt.envelope import new_id

log = logging.getLogger(__name__)
RECIPIENT_MAX = 64  # what the outbox's contact table holds
PAGE_LANGUAGE = {"en": "en", "es": "es", "zh": "zh-Hans"}  # a guest's language as the pages name it


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Surveys:
    vault: Vault
    base_url: str
    rules: EarningRules

    def open(
        self,
        session: Session,
        res: Reservation,
        *,
        kind: str,
        now: datetime,
        not_before: datetime | None = None,
    ) -> str | None:
        """A survey for the stay's guest, queued once per stay and kind; the token, or None."""
        guest = session.get(Guest, res.guest_id) if res.guest_id else None
        if guest is None or guest.erased_at is not None:
            return None
        known = session.scalar(select(Survey).where(Survey.reservation_id == res.id, Survey.kind == kind))
        if known is not None:
            return None
        prop = session.get(Property, res.property_id)
        assert prop is not None
        token = secrets.token_urlsafe(24)
        survey = Survey(
            id=new_id(),
            token_hash=token_hash(token),
            reservation_id=res.id,
            guest_id=guest.id,
            site=prop.slug,
            kind=kind,
            language=res.guest_language,
            channel="none",
            created_at=now,
            scores={},
            low=False,
            points=0,
        )
        session.add(survey)
        survey.channel = self._queue(
            session, survey, guest, prop, token=token, now=now, not_before=not_before
        )
        session.flush()
        return token

    def link(self, survey: Survey, token: str) -> str:
        lang = PAGE_LANGUAGE.get(survey.language, "en")
        return f"{self.base_url.rstrip('/')}/guest/{survey.site}/survey/{token}?lang={lang}"

    def _queue(
        self,
        session: Session,
        survey: Survey,
        guest: Guest,
        prop: Property,
        *,
        token: str,
        now: datetime,
        not_before: datetime | None,
    ) -> str:
        contact = self.vault.open(guest)
        subject, body = texts.invite(
            survey.kind, survey.language, hotel=prop.name, link=self.link(survey, token)
        )
        if contact is not None and contact.email and len(contact.email) <= RECIPIENT_MAX:
            channel, recipient = "email", contact.email
            payload: dict[str, object] = {"text": body, "subject": subject, "params": [], "attachments": []}
        elif contact is not None and contact.phone and whatsapp_number(contact.phone):
            channel, recipient = "whatsapp", str(whatsapp_number(contact.phone)).lstrip("+")
            payload = {"text": f"{subject}\n{body}", "params": [prop.name, self.link(survey, token)]}
        else:
            log.info("survey %s: the guest has no email or phone on file; nothing queued", survey.id)
            return "none"
        enqueue(
            session,
            channel=channel,
            recipient=recipient,
            template=f"survey_{survey.kind}",
            language=survey.language,
            payload=payload,
            now=now,
            not_before=not_before,
            site=prop.slug,
            dedupe_key=f"survey:{survey.kind}:{survey.reservation_id}",
        )
        return channel

    def answer(
        self, session: Session, *, token: str, scores: Mapping[str, object], comment: str, now: datetime
    ) -> Survey:
        """Store the answer once; points to a member; a low score alerts the property's managers."""
        survey = find(session, token, lock=True)
        if survey.answered_at is not None:
            raise InvalidLoyalty("this survey was answered already; thank you")
        try:
            given = check(scores, comment)
        except BadAnswer as exc:
            raise InvalidLoyalty(str(exc)) from exc
        survey.scores, survey.answered_at, survey.low = given.scores, now, bool(given.low)
        if given.comment:
            survey.comment_enc = given.comment  # sealed by the column type
        member = membership.member_of_guest(session, survey.guest_id)
        if member is not None and survey.kind == "post_stay":
            locked = membership.load(session, member.id, lock=True)
            rules = chain_rules.for_chain(session, locked.chain)
            ledger.award(
                session,
                locked,
                site=survey.site,
                points=rules.per_survey,
                action=f"survey:{survey.id}",
                actor="guest:survey",
                rules=rules,
                now=now,
            )
            survey.points = rules.per_survey
        audit(
            session,
            "guest:survey",
            "feedback.answer",
            "survey",
            survey.id,
            {"reservation": survey.reservation_id, "low": given.low},
            site=survey.site,
        )
        if given.low:
            _alert(session, survey, now=now)
        return survey

    def comment_of(self, survey: Survey) -> str:
        return survey.comment_enc or ""


def find(session: Session, token: str, *, lock: bool = False) -> Survey:
    if not 16 <= len(token) <= 64:
        raise SurveyNotFound("no such survey")
    query = select(Survey).where(Survey.token_hash == token_hash(token))
    survey = session.scalar(query.with_for_update() if lock else query)
    if survey is None:
        raise SurveyNotFound("no such survey")
    return survey


def _alert(session: Session, survey: Survey, *, now: datetime) -> None:
    """Tell the property's managers at once (by email where they gave one), in house or not."""
    res = session.get(Reservation, survey.reservation_id)
    in_house = res is not None and res.status == "checked_in"
    prop_name = session.scalar(select(Property.name).where(Property.slug == survey.site)) or survey.site
    scores = ", ".join(f"{k} {v}" for k, v in sorted(survey.scores.items()))
    subject = texts.ALERT[0].format(hotel=prop_name)
    body = texts.ALERT[1].format(
        kind=survey.kind,
        reservation=survey.reservation_id,
        scores=scores,
        in_house="yes" if in_house else "no",
    )
    managers = session.scalars(
        select(StaffUser).where(
            StaffUser.site == survey.site,
            StaffUser.role == "manager",
            StaffUser.active.is_(True),
            StaffUser.email.is_not(None),
        )
    )
    for manager in managers:
        assert manager.email is not None
        enqueue(
            session,
            channel="email",
            recipient=manager.email,
            template="feedback_alert",
            language="en",
            payload={"text": body, "subject": subject, "params": [], "attachments": []},
            dedupe_key=f"feedback-alert:{survey.id}:{manager.id}",
            now=now,
            site=survey.site,
        )
    audit(
        session,
        "guest:survey",
        "feedback.low_score",
        "survey",
        survey.id,
        {"reservation": survey.reservation_id, "in_house": in_house},
        site=survey.site,
    )
