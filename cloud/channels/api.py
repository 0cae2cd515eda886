"""The channel manager's API: channels, mappings, secrets, resync (managers) under /api/v1;
reservations from OTA channels and the iCal export feeds (the channel's secret)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cloud.auth.deps import check_property, require_role
from cloud.auth.roles import Principal, Role
from cloud.billing.property_terms import tax_policy
from cloud.catalog import service as catalog
from cloud.catalog.models import Property
from cloud.channels import outbox, registry, views
from cloud.channels.errors import ChannelInvalid, UnknownChannel
from cloud.channels.ical import export
from cloud.channels.ota import inbound
from cloud.channels.schemas import (
    ChannelCreated,
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    ChannelReservationOut,
    MappingIn,
    MappingOut,
    MessageOut,
    ProblemOut,
    ResyncOut,
    SecretOut,
)
from cloud.core.deps import ClockDep, SessionsDep, services
from cloud.core.idempotency import transact

router = APIRouter(prefix="/api/v1", tags=["channels"])
feeds_router = APIRouter(tags=["channels"])
Manager = Annotated[Principal, require_role(Role.MANAGER, Role.CHAIN_ADMIN)]
PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"description": "not a manager of the property"},
    404: {"description": "unknown property or channel (problem details)"},
    409: {"description": "duplicate channel code or mapping (problem details)"},
    422: {"description": "invalid request (problem details)"},
}


def _prop(session: Session, user: Principal, site: str) -> Property:
    check_property(session, user, site)
    return catalog.get_property(session, site)


@router.get("/properties/{site}/channels", response_model=list[ChannelOut], responses=PROBLEMS)
def list_channels(site: str, user: Manager, sessions: SessionsDep) -> list[ChannelOut]:
    with sessions() as session:
        return [
            views.channel_out(session, c) for c in registry.of_property(session, _prop(session, user, site))
        ]


@router.post(
    "/properties/{site}/channels", status_code=201, response_model=ChannelCreated, responses=PROBLEMS
)
def create_channel(
    site: str, body: ChannelIn, user: Manager, sessions: SessionsDep, clock: ClockDep
) -> ChannelCreated:
    """A new channel; its secret is in this answer only (rotate it to revoke)."""

    def work(session: Session) -> ChannelCreated:
        channel, secret = registry.create(
            session,
            _prop(session, user, site),
            registry.NewChannel(
                **body.model_dump(exclude={"credentials"}),
                credentials=body.credentials.model_dump(exclude_none=True) if body.credentials else None,
            ),
            now=clock(),
        )
        return ChannelCreated(
            **views.channel_out(session, channel).model_dump(),
            secret=secret,
            feeds=views.feeds(session, channel, secret),
        )

    return transact(sessions, work)


@router.patch("/properties/{site}/channels/{code}", response_model=ChannelOut, responses=PROBLEMS)
def change_channel(
    site: str,
    code: str,
    body: ChannelPatch,
    request: Request,
    user: Manager,
    sessions: SessionsDep,
    clock: ClockDep,
) -> ChannelOut:
    """Markup, pause, endpoint, pace; resuming a paused channel queues a full resync."""

    def work(session: Session) -> ChannelOut:
        prop = _prop(session, user, site)
        channel = registry.get(session, prop, code, lock=True)
        resumed = channel.paused and body.paused is False
        for name, value in body.model_dump(exclude_unset=True).items():
            if name == "credentials":  # replaced whole (null: none), never read back
                channel.credentials = {k: v for k, v in (value or {}).items() if v is not None} or None
                continue
            if value is None and name not in ("endpoint_url",):
                raise ChannelInvalid(f"{name} cannot be empty")
            setattr(channel, name, value)
        if resumed and channel.kind == "ota":
            outbox.resync(session, channel, now=clock(), horizon_days=_horizon(request))
        return views.channel_out(session, channel)

    return transact(sessions, work)


@router.post("/properties/{site}/channels/{code}/secret", response_model=SecretOut, responses=PROBLEMS)
def rotate_secret(site: str, code: str, user: Manager, sessions: SessionsDep) -> SecretOut:
    """A new secret; the old one, and every feed URL made with it, stops working at once."""

    def work(session: Session) -> SecretOut:
        channel = registry.get(session, _prop(session, user, site), code, lock=True)
        secret = registry.rotate_secret(channel)
        return SecretOut(secret=secret, feeds=views.feeds(session, channel, secret))

    return transact(sessions, work)


@router.put("/properties/{site}/channels/{code}/mappings", response_model=MappingOut, responses=PROBLEMS)
def set_mapping(site: str, code: str, body: MappingIn, user: Manager, sessions: SessionsDep) -> MappingOut:
    def work(session: Session) -> MappingOut:
        channel = registry.get(session, _prop(session, user, site), code)
        m = registry.set_mapping(session, channel, **body.model_dump())
        return MappingOut(
            id=m.id,
            room_type=body.room_type,
            rate_plan=body.rate_plan,
            room_code=m.room_code,
            rate_code=m.rate_code,
            import_url=m.import_url,
            occupancy_bp=m.occupancy_bp,
        )

    return transact(sessions, work)


@router.delete(
    "/properties/{site}/channels/{code}/mappings/{mapping_id}", status_code=204, responses=PROBLEMS
)
def remove_mapping(
    site: str,
    code: str,
    mapping_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: Manager,
    sessions: SessionsDep,
) -> Response:
    def work(session: Session) -> None:
        registry.remove_mapping(session, registry.get(session, _prop(session, user, site), code), mapping_id)

    transact(sessions, work)
    return Response(status_code=204)


@router.post("/properties/{site}/channels/{code}/resync", response_model=ResyncOut, responses=PROBLEMS)
def resync(
    site: str, code: str, request: Request, user: Manager, sessions: SessionsDep, clock: ClockDep
) -> ResyncOut:
    """Queue everything this channel may sell over the horizon (sent at the channel's pace)."""

    def work(session: Session) -> ResyncOut:
        channel = registry.get(session, _prop(session, user, site), code)
        if channel.kind != "ota":
            raise ChannelInvalid("an iCal channel reads our feeds itself; there is nothing to push")
        return ResyncOut(queued=outbox.resync(session, channel, now=clock(), horizon_days=_horizon(request)))

    answer = transact(sessions, work)
    context = services(request).channels
    if context is not None:
        context.pusher.wake.set()
    return answer


@router.get(
    "/properties/{site}/channels/{code}/messages", response_model=list[MessageOut], responses=PROBLEMS
)
def list_messages(site: str, code: str, user: Manager, sessions: SessionsDep) -> list[MessageOut]:
    with sessions() as session:
        return views.messages(session, registry.get(session, _prop(session, user, site), code))


@router.get(
    "/properties/{site}/channels/{code}/problems", response_model=list[ProblemOut], responses=PROBLEMS
)
def list_problems(site: str, code: str, user: Manager, sessions: SessionsDep) -> list[ProblemOut]:
    with sessions() as session:
        return views.problems(session, registry.get(session, _prop(session, user, site), code))


@router.get(
    "/properties/{site}/channel-reservations", response_model=list[ChannelReservationOut], responses=PROBLEMS
)
def list_reservations(
    site: str, user: Manager, sessions: SessionsDep, overbooked: bool = False
) -> list[ChannelReservationOut]:
    """Reservations received from channels (``overbooked=true``: those waiting for staff)."""
    with sessions() as session:
        return views.reservations(
            session, _prop(session, user, site), statuses=("overbooked",) if overbooked else None
        )


@router.post("/channels/ota/reservations", responses={401: {"description": "unknown channel secret"}})
async def receive_reservations(request: Request, authorization: Annotated[str, Header()] = "") -> Response:
    """OTA_HotelResNotifRQ / OTA_HotelResModifyNotifRQ from a channel (``Authorization: Bearer
    <channel secret>``); answered with the RS after the reservations are stored."""
    svc = services(request)
    limit = svc.settings.channels.channels_max_body_bytes
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return Response(f"the document is larger than {limit} bytes", status_code=413)
    secret = authorization.removeprefix("Bearer ").strip()
    status, answer = await run_in_threadpool(
        inbound.receive,
        svc.sessions,
        secret=secret,
        body=bytes(body),
        clock=svc.clock,
        ledger=svc.ledger,
        matcher=svc.matcher,
        taxes=lambda session, prop: tax_policy(session, svc.billing.settings, prop.slug),
    )
    media = "application/xml" if status == 200 else "text/plain"
    return Response(answer, status_code=status, media_type=media)


@feeds_router.get("/channels/ical/{secret}/types/{room_code}.ics", include_in_schema=False)
def type_feed(
    secret: str, room_code: str, request: Request, sessions: SessionsDep, clock: ClockDep
) -> Response:
    with sessions() as session:
        channel = _feed_channel(session, secret)
        mapping = export.mapped_types(session, channel).get(room_code)
        if mapping is None:
            return Response("no such feed", status_code=404, media_type="text/plain")
        body = export.type_feed(session, channel, mapping, now=clock(), horizon_days=_horizon(request))
    return Response(body, media_type="text/calendar; charset=utf-8")


@feeds_router.get("/channels/ical/{secret}/rooms/{slug}.ics", include_in_schema=False)
def room_feed(secret: str, slug: str, request: Request, sessions: SessionsDep, clock: ClockDep) -> Response:
    with sessions() as session:
        channel = _feed_channel(session, secret)
        room = export.mapped_room(session, channel, slug)
        if room is None:
            return Response("no such feed", status_code=404, media_type="text/plain")
        body = export.room_feed(session, channel, room, now=clock(), horizon_days=_horizon(request))
    return Response(body, media_type="text/calendar; charset=utf-8")


def _feed_channel(session: Session, secret: str) -> Any:
    try:
        return registry.by_secret(session, secret)
    except UnknownChannel as exc:
        raise UnknownChannel("no such feed (the link was revoked, or never issued)") from exc


def _horizon(request: Request) -> int:
    return int(services(request).settings.channels.channels_horizon_days)
