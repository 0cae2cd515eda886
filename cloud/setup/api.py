"""The property document over HTTP: ``GET``/``PUT /api/v1/properties/{site}/setup`` (a manager of
the property or a chain administrator) and ``POST /api/v1/properties`` (a chain administrator)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from cloud.auth.deps import check_property, require_role
from cloud.auth.errors import Forbidden
from cloud.auth.roles import Principal, Role
from cloud.core.deps import ClockDep, SessionsDep
from cloud.setup import service
from cloud.setup.document import PropertyDocument
from cloud.setup.errors import Problem, PropertyExists, SetupInvalid, UnknownProperty
from cloud.setup.exporting import find_property
from cloud.setup.formats import as_data, dumps
from cloud.setup.parsing import parse

router = APIRouter(prefix="/api/v1", tags=["setup"])
SetupUser = Annotated[Principal, require_role(Role.MANAGER, Role.CHAIN_ADMIN)]
ChainAdmin = Annotated[Principal, require_role(Role.CHAIN_ADMIN)]
MAX_BYTES = 5 * 1024 * 1024
DOCUMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": PropertyDocument.model_json_schema(by_alias=True)},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"description": "not a manager of the property nor an administrator of its chain"},
    404: {"description": "no such property"},
    409: {"description": "the property exists already (POST)"},
    422: {"description": "the document is not valid: every problem with its path (problem details)"},
}


@router.get("/properties/{site}/setup", responses=PROBLEMS)
def get_setup(
    site: str,
    user: SetupUser,
    sessions: SessionsDep,
    clock: ClockDep,
    format: Annotated[Literal["json", "yaml"], Query()] = "json",
) -> Response:
    """The property as one document (JSON, or YAML with ``?format=yaml``)."""
    with sessions() as session:
        check_property(session, user, site)
        doc = service.export(session, site, now=clock())
    if format == "yaml":
        return Response(dumps(doc, "yaml"), media_type="application/yaml")
    return JSONResponse(as_data(doc))


@router.put("/properties/{site}/setup", responses=PROBLEMS, openapi_extra=DOCUMENT_BODY)
async def put_setup(
    site: str,
    request: Request,
    user: SetupUser,
    sessions: SessionsDep,
    clock: ClockDep,
    dry_run: bool = False,
) -> JSONResponse:
    """Make the property what the document says (all or nothing); ``?dry_run=true``: the diff only."""
    doc = parse(await _body(request), fmt=_format(request))
    if doc.property.site != site:
        raise SetupInvalid(
            [Problem("property.site", f"is {doc.property.site!r}, the address names {site!r}")]
        )
    with sessions.begin() as session:
        check_property(session, user, site)
        if find_property(session, site) is None:
            raise_unknown(site)
        _check_chain(user, doc)
        diff = _run(session, doc, user, dry_run=dry_run, now=clock())
    return JSONResponse(diff.as_json())


@router.post("/properties", status_code=201, responses=PROBLEMS, openapi_extra=DOCUMENT_BODY)
async def create_property(
    request: Request, user: ChainAdmin, sessions: SessionsDep, clock: ClockDep, dry_run: bool = False
) -> JSONResponse:
    """A new property of the administrator's chain, from its document."""
    doc = parse(await _body(request), fmt=_format(request))
    _check_chain(user, doc)
    with sessions.begin() as session:
        if find_property(session, doc.property.site) is not None:
            raise PropertyExists(f"property {doc.property.site!r} exists: PUT its set-up instead")
        diff = _run(session, doc, user, dry_run=dry_run, now=clock())
    return JSONResponse(diff.as_json(), status_code=200 if dry_run else 201)


def _run(session: Session, doc: PropertyDocument, user: Principal, *, dry_run: bool, now: Any) -> Any:
    return service.plan(session, doc, now=now) if dry_run else service.apply(session, doc, user, now=now)


def _check_chain(user: Principal, doc: PropertyDocument) -> None:
    if user.role is Role.CHAIN_ADMIN and doc.property.chain != user.chain:
        raise Forbidden(f"you administer chain {user.chain!r}, not {doc.property.chain!r}")


def raise_unknown(site: str) -> None:
    raise UnknownProperty(
        f"no property {site!r}: a chain administrator creates it with POST /api/v1/properties"
    )


async def _body(request: Request) -> bytes:
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        raise SetupInvalid([Problem("", f"the document is larger than {MAX_BYTES} bytes")])
    return raw


def _format(request: Request) -> str | None:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind.endswith("json"):
        return "json"
    if "yaml" in kind:
        return "yaml"
    return None
