"""Portal pages of group and event blocks: hold rooms, upload the rooming list, check the group in."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from cloud.auth.deps import GuestDataUser, check_property
from cloud.catalog.models import Property, RoomType
from cloud.core.deps import DbSession, request_time, services
from cloud.core.errors import DomainError
from cloud.reservations.errors import InvalidRequest
from cloud.reservations.groups import service as groups
from cloud.reservations.groups import stays as group_stays
from cloud.reservations.groups.models import GroupBlock
from cloud.reservations.models import Reservation
from cloud.reservations.pages import page, pick_property
from cloud.reservations.present import block_out, reservation_out
from cloud.reservations.sales import booking
from cloud.reservations.sales.queries import by_name
from cloud.reservations.stays.ledger import stay_ledger

router = APIRouter(prefix="/reservations/blocks", include_in_schema=False)
MAX_CSV_BYTES = 1_000_000


@router.get("", response_class=HTMLResponse)
def blocks(
    request: Request, db: DbSession, user: GuestDataUser, site: str | None = None, error: str = ""
) -> HTMLResponse:
    prop = pick_property(db, user, site)
    found = db.scalars(
        select(GroupBlock)
        .where(GroupBlock.property_id == prop.id)
        .order_by(GroupBlock.arrival.desc())
        .limit(100)
    )
    return page(
        request,
        "blocks.html",
        {"prop": prop, "blocks": [block_out(db, b) for b in found], "errors": [error] if error else []},
    )


@router.post("", response_model=None)
async def create(request: Request, db: DbSession, user: GuestDataUser, site: str | None = None) -> Response:
    form = {k: str(v).strip()[:200] for k, v in (await request.form()).items() if isinstance(v, str)}
    prop = pick_property(db, user, site)
    try:
        codes = db.scalars(select(RoomType.code).where(RoomType.property_id == prop.id))
        rooms = {code: int(form.get(f"rooms_{code}") or 0) for code in codes}
        dates = [date.fromisoformat(form.get(k, "")) for k in ("arrival", "departure", "release_on")]
    except ValueError:
        return blocks(request, db, user, prop.slug, error="dates as YYYY-MM-DD and whole numbers of rooms")
    try:
        with db.begin_nested():
            block = groups.create_block(
                db,
                prop,
                name=form.get("name", "") or "Group",
                kind=form.get("kind", "group"),
                arrival=dates[0],
                departure=dates[1],
                release_on=dates[2],
                rate_plan=form.get("rate_plan", "flex"),
                rooms={k: v for k, v in rooms.items() if v},
                now=request_time(request),
            )
    except DomainError as exc:
        return blocks(request, db, user, prop.slug, error=exc.detail)
    return RedirectResponse(f"/reservations/blocks/{block.id}", status_code=303)


def _own(db: Any, user: Any, block_id: str) -> tuple[GroupBlock, Property]:
    block = groups.get_block(db, block_id[:26])
    prop = db.get(Property, block.property_id)
    check_property(db, user, prop.slug)
    return block, prop


@router.get("/{block_id}", response_class=HTMLResponse)
def block_page(
    request: Request,
    db: DbSession,
    user: GuestDataUser,
    block_id: str,
    errors: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    block, prop = _own(db, user, block_id)
    members = by_name(db.scalars(select(Reservation).where(Reservation.block_id == block.id)))
    return page(
        request,
        "block.html",
        {
            "prop": prop,
            "b": block_out(db, block),
            "members": [reservation_out(db, r) for r in members],
            "problems": errors or [],
        },
        status,
    )


@router.post("/{block_id}/{action}", response_model=None)
async def act(request: Request, db: DbSession, user: GuestDataUser, block_id: str, action: str) -> Response:
    """Upload the rooming list, check the whole group in, or release the block."""
    if action not in ("rooming-list", "check-in", "release"):
        return Response(status_code=404)
    block, _prop = _own(db, user, block_id)
    data = await request.form()
    try:
        with db.begin_nested():
            await _perform(request, db, block, action, data.get("file"))
    except DomainError as exc:
        db.expire_all()
        problems = exc.extra.get("errors") or exc.extra.get("failures") or []
        return block_page(request, db, user, block_id, [{"message": exc.detail}, *problems], 422)
    return RedirectResponse(f"/reservations/blocks/{block.id}", status_code=303)


async def _perform(request: Request, db: Any, block: GroupBlock, action: str, upload: Any) -> None:
    now = request_time(request)
    if action == "release":
        groups.release(db, block, now=now)
    elif action == "check-in":
        issuer = services(request).issuer
        ids = group_stays.check_in_group(db, block, issuer=issuer, now=now)
        ledger = stay_ledger(request)
        if ledger is not None:  # the nights of every stay go to its folio
            for reservation_id in ids:
                ledger.checked_in(db, booking.load(db, reservation_id), now=now)
    else:
        raw = await upload.read(MAX_CSV_BYTES + 1) if hasattr(upload, "read") else b""
        if not raw or len(raw) > MAX_CSV_BYTES:
            raise InvalidRequest("choose a CSV file of at most 1 MB")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidRequest("the rooming list must be UTF-8 text") from exc
        made = group_stays.import_rooming_list(db, block, text, now=now)
        ledger = stay_ledger(request)
        if ledger is not None:  # every booking gets its folio and confirmation
            for res in made:
                ledger.booked(db, res, now=now)
