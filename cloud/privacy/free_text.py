"""What staff and the guest wrote about the guest: a reservation's notes and preferences, service
requests' notes, survey comments and redemption notes. All sealed at rest; here they are exported
with the guest's data and emptied by erasure (the rows stay for the books and the reports)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloud.guests.models import Guest
from cloud.loyalty.models import MemberProfile, Redemption, Survey
from cloud.operations.requests.models import ServiceRequest
from cloud.reservations.models import Reservation


def _requests(session: Session, ids: list[str]) -> list[ServiceRequest]:
    if not ids:
        return []
    query = select(ServiceRequest).where(ServiceRequest.reservation_id.in_(ids))
    return list(session.scalars(query.order_by(ServiceRequest.created_at)))


def _surveys(session: Session, guest: Guest) -> list[Survey]:
    query = select(Survey).where(Survey.guest_id == guest.id).order_by(Survey.created_at)
    return list(session.scalars(query))


def _redemptions(session: Session, guest: Guest, ids: list[str]) -> list[Redemption]:
    member = select(MemberProfile.member_id).where(MemberProfile.guest_id == guest.id).scalar_subquery()
    mine = (Redemption.member_id == member) & (Redemption.site == guest.site)
    found = or_(mine, Redemption.reservation_id.in_(ids)) if ids else mine
    return list(session.scalars(select(Redemption).where(found).order_by(Redemption.created_at)))


def export(session: Session, guest: Guest, reservations: list[Reservation]) -> dict[str, Any]:
    ids = [r.id for r in reservations]
    return {
        "notes": [
            {"reservation": r.id, "notes": r.notes, "preferences": r.preferences}
            for r in reservations if r.notes or r.preferences
        ],
        "service_requests": [
            {"id": q.id, "reservation": q.reservation_id, "note": q.note,
             "created_at": q.created_at.isoformat()}
            for q in _requests(session, ids)
        ],
        "surveys": [
            {"id": s.id, "scores": s.scores, "comment": s.comment_enc or ""} for s in _surveys(session, guest)
        ],
        "redemptions": [
            {"id": d.id, "site": d.site, "points": d.points, "note": d.note}
            for d in _redemptions(session, guest, ids)
        ],
    }


def erase(session: Session, guest: Guest, reservations: list[Reservation]) -> dict[str, int]:
    ids = [r.id for r in reservations]
    for res in reservations:
        res.notes, res.preferences = "", {}
    requests = _requests(session, ids)
    for request in requests:
        request.note = ""
    surveys = _surveys(session, guest)
    for survey in surveys:
        survey.comment_enc = None
    redemptions = _redemptions(session, guest, ids)
    for redemption in redemptions:
        redemption.note = ""
    return {"service_requests": len(requests), "surveys": len(surveys), "redemptions": len(redemptions)}
