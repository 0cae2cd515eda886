"""The audit trail for managers: a filterable page, the same as JSON, a CSV export, the chain's
check. Managers see their property's entries; a chain administrator the chain's (and those of
no property)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, Field

from cloud.auth.accounts import visible_sites
from cloud.auth.audit_chain import Broken
from cloud.auth.audit_log import AuditFilter, as_csv, search, verify_log
from cloud.auth.deps import StaffAdmin
from cloud.auth.roles import Role
from cloud.core.db import ROW_ID_MAX
from cloud.core.deps import SessionDep
from cloud.core.templating import templates

api = APIRouter(prefix="/api/v1/audit", tags=["audit"])
pages = APIRouter(include_in_schema=False)
CSV_LIMIT = 100_000
Text = Annotated[str | None, Query(max_length=100)]


class Entry(BaseModel):
    seq: int | None = Field(description="its place in the chain; null until sealed (about a second)")
    at: datetime
    actor: str
    actor_id: str | None
    role: str | None
    address: str | None
    site: str | None
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]
    hash: str | None


class ChainCheck(BaseModel):
    intact: bool
    entries: int | None = None
    broken_at: int | None = None
    reason: str | None = None


def audit_filter(user: StaffAdmin, db: SessionDep, actor: Text = None, action: Text = None,
                 entity: Text = None, entity_id: Text = None, since: datetime | None = None,
                 until: datetime | None = None) -> AuditFilter:
    """The query's filters, within the properties the user may see."""
    zone = ZoneInfo(user.time_zone)
    return AuditFilter(sites=tuple(visible_sites(db, user)), unsited=user.role is Role.CHAIN_ADMIN,
                       chain=user.chain,
                       actor=actor or None, action=action or None, entity=entity or None,
                       entity_id=entity_id or None, since=_aware(since, zone), until=_aware(until, zone))


def _aware(at: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A time without a zone (the page's date-time fields) is the property's local time."""
    return at.replace(tzinfo=zone) if at is not None and at.tzinfo is None else at


Filtered = Annotated[AuditFilter, Depends(audit_filter)]


@api.get("", response_model=list[Entry])
def entries(db: SessionDep, where: Filtered, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
            before_seq: Annotated[int | None, Query(ge=1, le=ROW_ID_MAX)] = None) -> list[Entry]:
    """Entries newest first; page back with ``before_seq`` (the last seq of the previous page)."""
    return [Entry.model_validate(e, from_attributes=True) for e in search(db, where, limit=limit,
                                                                           before_seq=before_seq)]


@api.get("/export.csv", response_class=StreamingResponse)
def export(db: SessionDep, where: Filtered) -> StreamingResponse:
    """The matching entries as CSV (at most 100,000, newest first)."""
    rows: Iterator[str] = as_csv(search(db, where, limit=CSV_LIMIT))
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="audit.csv"'})


@api.get("/verify", response_model=ChainCheck)
def check(db: SessionDep, _user: StaffAdmin) -> ChainCheck:
    """Walk the whole chain (every property's): intact, or where it first breaks."""
    result = verify_log(db)
    if isinstance(result, Broken):
        return ChainCheck(intact=False, broken_at=result.seq, reason=result.reason)
    return ChainCheck(intact=True, entries=result.entries)


@pages.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, db: SessionDep, where: Filtered,
               before_seq: Annotated[int | None, Query(ge=1, le=ROW_ID_MAX)] = None) -> HTMLResponse:
    found = search(db, where, limit=100, before_seq=before_seq)
    query = {k: v for k, v in request.query_params.items() if k != "before_seq"}
    context = {"entries": found, "query": query, "active": "audit",
               "older": found[-1].seq if len(found) == 100 else None}
    return templates.TemplateResponse(request, "auth/audit.html", context)
