"""REST API of marketing: consent, segments, campaigns and their results; the one-click unsubscribe."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy.orm import Session

from cloud.auth.accounts import chain_of
from cloud.auth.deps import GuestDataUser, StaffAdmin, check_property
from cloud.auth.errors import Forbidden
from cloud.auth.roles import Principal
from cloud.core.deps import DbSession, request_time, services
from cloud.guests.api import visible_guest
from cloud.marketing import campaigns, consent
from cloud.marketing.audience import facts_of
from cloud.marketing.errors import CampaignNotFound, InvalidMarketing
from cloud.marketing.models import Campaign, Segment
from cloud.marketing.schemas import ULID, CampaignIn, CampaignOut, ConsentIn, Results, SegmentIn, SegmentOut
from cloud.marketing.segments import audience
from cloud.marketing.unsubscribe import BadUnsubscribe, UnsubscribeSigner
from mqtt.envelope import new_id

router = APIRouter(prefix="/api/v1/marketing", tags=["marketing"])
Id = Annotated[str, Path(pattern=ULID)]


def mailer(request: Request) -> campaigns.Mailer:
    app = services(request)
    return campaigns.Mailer(
        vault=app.guests.vault,
        signer=UnsubscribeSigner(app.settings.secret_key),
        base_url=app.settings.guestweb.guestweb_public_url,
        secret=app.settings.secret_key,
    )


@router.put("/guests/{guest_id}/consent", status_code=204)
def set_consent(request: Request, db: DbSession, user: GuestDataUser, guest_id: Id, body: ConsentIn) -> None:
    """Record what the guest agreed to receive (an opt-in the guest gave, never assumed)."""
    guest = visible_guest(db, user, guest_id)
    consent.set_consent(
        db, actor=user, guest=guest, email=body.email, whatsapp=body.whatsapp, now=request_time(request)
    )


def _segment(db: Session, user: Principal, segment_id: str) -> Segment:
    found = db.get(Segment, segment_id)
    if found is None:
        raise CampaignNotFound(f"no segment {segment_id!r}")
    for site in found.rules.get("sites", []):
        try:
            check_property(db, user, site)
        except Forbidden as exc:  # another property's segment reads as unknown
            raise CampaignNotFound(f"no segment {segment_id!r}") from exc
    return found


def _counted(request: Request, db: Session, segment: Segment) -> SegmentOut:
    rules = campaigns.rules_of(segment)
    facts = facts_of(db, services(request).guests.vault, sites=rules.sites, currency="EUR")
    today = request_time(request).date()
    return SegmentOut(
        id=segment.id,
        name=segment.name,
        chain=segment.chain,
        email_audience=len(audience(facts, rules, channel="email", today=today)),
        whatsapp_audience=len(audience(facts, rules, channel="whatsapp", today=today)),
    )


@router.post("/segments", response_model=SegmentOut, status_code=201)
def create_segment(request: Request, db: DbSession, user: StaffAdmin, body: SegmentIn) -> SegmentOut:
    for site in body.sites:
        check_property(db, user, site)
    chains = {chain_of(db, site) for site in body.sites}
    if len(chains) != 1 or None in chains:
        raise InvalidMarketing("a segment's properties belong to one chain")
    segment = Segment(
        id=new_id(),
        chain=chains.pop() or "",
        name=body.name,
        rules=body.rules(),
        created_by=user.username,
        created_at=request_time(request),
    )
    db.add(segment)
    db.flush()
    return _counted(request, db, segment)


@router.get("/segments/{segment_id}", response_model=SegmentOut)
def get_segment(request: Request, db: DbSession, user: StaffAdmin, segment_id: Id) -> SegmentOut:
    return _counted(request, db, _segment(db, user, segment_id))


@router.post("/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(request: Request, db: DbSession, user: StaffAdmin, body: CampaignIn) -> CampaignOut:
    segment = _segment(db, user, body.segment_id)
    if body.channel == "whatsapp" and not body.whatsapp_template:
        raise InvalidMarketing("a WhatsApp campaign names its approved template")
    texts: dict[str, dict[str, str]] = {str(lang): text.model_dump() for lang, text in body.texts.items()}
    campaigns.check_texts(texts)
    row = Campaign(
        id=new_id(),
        segment_id=segment.id,
        chain=segment.chain,
        name=body.name,
        channel=body.channel,
        texts=texts,
        whatsapp_template=body.whatsapp_template,
        offer_code=body.offer_code,
        status="draft",
        created_by=user.username,
        created_at=request_time(request),
    )
    db.add(row)
    db.flush()
    return CampaignOut(id=row.id, name=row.name, channel=row.channel, status=row.status)


def _campaign(db: Session, user: Principal, campaign_id: str) -> Campaign:
    found = db.get(Campaign, campaign_id)
    if found is None:
        raise CampaignNotFound(f"no campaign {campaign_id!r}")
    _segment(db, user, found.segment_id)
    return found


@router.post("/campaigns/{campaign_id}/send", response_model=Results)
def send(request: Request, db: DbSession, user: StaffAdmin, campaign_id: Id) -> Results:
    """Queue the campaign to its segment's opted-in guests, once."""
    campaign = _campaign(db, user, campaign_id)
    mailer(request).send(db, campaign, actor=user, now=request_time(request))
    db.flush()
    return Results.model_validate(campaigns.results(db, campaign))


@router.get("/campaigns/{campaign_id}/results", response_model=Results)
def results(db: DbSession, user: StaffAdmin, campaign_id: Id) -> Results:
    return Results.model_validate(campaigns.results(db, _campaign(db, user, campaign_id)))


@router.post("/unsubscribe/{ref}", status_code=204)
def unsubscribe(request: Request, db: DbSession, ref: Annotated[str, Path(max_length=64)]) -> None:
    """One click (RFC 8058): the link's guest gets no more marketing, from now on."""
    try:
        guest_id = UnsubscribeSigner(services(request).settings.secret_key).verify(ref)
    except BadUnsubscribe as exc:
        raise CampaignNotFound(str(exc)) from exc
    consent.unsubscribe(db, guest_id=guest_id, now=request_time(request))
