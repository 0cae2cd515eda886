"""REST API of group and event blocks: hold rooms, import the rooming list, check the group in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloud.core.deps import ClockDep, IdempotencyKeyHeader, SessionsDep
from cloud.core.idempotency import idempotent, transact
from cloud.reservations.api import PROBLEMS
from cloud.reservations.errors import InvalidRequest
from cloud.reservations.groups import service as groups
from cloud.reservations.groups import stays as group_stays
from cloud.reservations.present import block_out, reservation_json
from cloud.reservations.sales import booking
from cloud.reservations.schemas import BlockIn, BlockOut
from cloud.reservations.stays.ledger import LedgerDep
from cloud.reservations.web import IssuerDep, StaffDep, own_block, property_for

router = APIRouter(prefix="/api/v1", tags=["groups"])
MAX_CSV_BYTES = 1_000_000


class GroupCheckedIn(BaseModel):
    reservations: list[str]


class Released(BaseModel):
    rooms_released: int


@router.post("/properties/{site}/blocks", status_code=201, response_model=BlockOut, responses=PROBLEMS)
def create_block(
    site: str,
    body: BlockIn,
    user: StaffDep,
    sessions: SessionsDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Hold rooms by type for a group or an event until the release date."""

    def work(session: Session) -> tuple[int, Any]:
        prop = property_for(session, user, site)
        block = groups.create_block(session, prop, now=clock(), **body.model_dump())
        return 201, block_out(session, block).model_dump(mode="json")

    status, payload = idempotent(
        sessions,
        scope=f"POST /properties/{site}/blocks",
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
        work=work,
    )
    return JSONResponse(payload, status_code=status)


@router.get("/blocks/{block_id}", response_model=BlockOut, responses=PROBLEMS)
def read_block(block_id: str, user: StaffDep, sessions: SessionsDep) -> BlockOut:
    with sessions() as session:
        return block_out(session, own_block(session, user, block_id))


@router.post(
    "/blocks/{block_id}/rooming-list",
    status_code=201,
    responses=PROBLEMS,
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def import_rooming_list(
    block_id: str,
    request: Request,
    user: StaffDep,
    sessions: SessionsDep,
    clock: ClockDep,
    ledger: LedgerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Book every guest of the CSV into the block; any bad row (reported by line) rejects the whole file."""
    text = _csv_text(await request.body())

    def work(session: Session) -> tuple[int, Any]:
        block = own_block(session, user, block_id)
        now = clock()
        made = group_stays.import_rooming_list(session, block, text, now=now)
        for res in made:
            if ledger is not None:
                ledger.booked(session, res, now=now)
        return 201, [reservation_json(session, res) for res in made]

    status, payload = await run_in_threadpool(
        idempotent,
        sessions,
        scope=f"POST /blocks/{block_id}/rooming-list",
        key=idempotency_key,
        payload=text,
        work=work,
    )
    return JSONResponse(payload, status_code=status)


def _csv_text(raw: bytes) -> str:
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidRequest(f"the rooming list is larger than {MAX_CSV_BYTES} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidRequest("the rooming list must be UTF-8 text") from exc


@router.post("/blocks/{block_id}/check-in", response_model=GroupCheckedIn, responses=PROBLEMS)
def check_in_group(
    block_id: str,
    user: StaffDep,
    sessions: SessionsDep,
    clock: ClockDep,
    issuer: IssuerDep,
    ledger: LedgerDep,
) -> GroupCheckedIn:
    """Check in and key every room of the group arriving today, in one action (all or none)."""

    def work(session: Session) -> GroupCheckedIn:
        block, now = own_block(session, user, block_id), clock()
        ids = group_stays.check_in_group(session, block, issuer=issuer, now=now)
        if ledger is not None:
            for reservation_id in ids:
                ledger.checked_in(session, booking.load(session, reservation_id), now=now)
        return GroupCheckedIn(reservations=ids)

    return transact(sessions, work)


@router.post("/blocks/{block_id}/release", response_model=Released, responses=PROBLEMS)
def release_block(block_id: str, user: StaffDep, sessions: SessionsDep, clock: ClockDep) -> Released:
    """Give the block's unpicked rooms back to general sale now."""

    def work(session: Session) -> Released:
        return Released(
            rooms_released=groups.release(session, own_block(session, user, block_id), now=clock())
        )

    return transact(sessions, work)
