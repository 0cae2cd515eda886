"""The desk's long-stay pages: every contract with what is billed, paid and in arrears; one contract
with its schedule, bills, payments, parcels, and forms for a meter reading, a parcel and notice."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, DbSession, services
from cloud.core.errors import DomainError
from cloud.core.money import Money
from cloud.core.templating import templates
from cloud.i18n.jinja import gettext as _
from cloud.i18n.labels import N_
from cloud.operations.long_stays import api, ending, service
from cloud.operations.long_stays.models import METERS, ContractTerms, Parcel
from cloud.operations.requests.service import property_of
from cloud.operations.schemas import ID, SLUG
from cloud.reservations.groups.models import LongStayContract
from cloud.reservations.models import Reservation

DEDUCTION_LINES = 3  # the contract page's form; the API takes up to 20
REFUSALS = {
    "backwards": N_("A reading is later than the last one and not lower."),
    "notice": N_("That end is shorter than the notice period."),
    "not_ended": N_("The deposit is settled at the end of the stay, on its last day or after."),
    "settled": N_("This deposit was settled already."),
    "no_deposit": N_("No deposit was paid for this stay, or it was refunded already."),
    "deduction": N_("Each deduction needs a reason and an amount above zero."),
}
router = APIRouter(prefix="/operations/long-stays", include_in_schema=False)
Desk = Annotated[Principal, require_role(Role.FRONT_DESK, Role.MANAGER, Role.CHAIN_ADMIN)]
Site = Annotated[str, Path(pattern=SLUG)]
AnId = Annotated[str, Path(pattern=ID)]


@router.get("", response_class=HTMLResponse)
def contracts_page(
    request: Request, db: DbSession, user: Desk, scope: SiteScopeDep, clock: ClockDep
) -> HTMLResponse:
    sites = scope.narrow()
    if not sites:
        return HTMLResponse("", status_code=403)
    rows = _contracts(db, sites[0], clock())
    return templates.TemplateResponse(
        request, "operations/long_stays.html", {"active": "long_stays", "site": sites[0], "rows": rows}
    )


def _contracts(db: Session, site: str, now: Any) -> list[dict[str, Any]]:
    prop = property_of(db, site)
    rows = db.execute(
        select(LongStayContract, Reservation)
        .join(Reservation, Reservation.id == LongStayContract.reservation_id)
        .join(ContractTerms, ContractTerms.contract_id == LongStayContract.id)
        .where(Reservation.property_id == prop.id, Reservation.status.in_(("booked", "checked_in")))
        .order_by(Reservation.arrival)
    ).all()
    return [api.contract_json(db, site, res, contract, now=now) for contract, res in rows]


def _page(
    request: Request,
    db: Session,
    *,
    site: str,
    reservation_id: str,
    now: Any,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    res, contract = service.contract_for(db, reservation_id)
    view = api.contract_json(db, site, res, contract, now=now)
    parcels = list(
        db.scalars(select(Parcel).where(Parcel.reservation_id == res.id).order_by(Parcel.received_at))
    )
    return templates.TemplateResponse(
        request,
        "operations/long_stay.html",
        {
            "active": "long_stays",
            "site": site,
            "c": view,
            "parcels": parcels,
            "meters": [m for m in METERS if m in view["utilities"]],
            "error": error,
        },
        status_code=status,
    )


@router.get("/{site}/{reservation_id}", response_class=HTMLResponse)
def contract_page(
    request: Request,
    db: DbSession,
    user: Desk,
    scope: SiteScopeDep,
    clock: ClockDep,
    site: Site,
    reservation_id: AnId,
) -> HTMLResponse:
    scope.check(site)
    api._stay(db, site, reservation_id)
    return _page(request, db, site=site, reservation_id=reservation_id, now=clock())


@router.post("/{site}/{reservation_id}/{action}", response_model=None)
async def act(
    request: Request,
    db: DbSession,
    user: Desk,
    scope: SiteScopeDep,
    clock: ClockDep,
    site: Site,
    reservation_id: AnId,
    action: str,
) -> Response:
    """``reading``, ``parcel`` or ``end`` from the contract page's forms; a refusal is shown, nothing kept."""
    scope.check(site)
    form = await request.form()
    res = api._stay(db, site, reservation_id)
    try:
        contract = service.contract_for(db, reservation_id)[1]
        if action == "reading":
            service.read_meter(
                db,
                contract,
                res,
                meter=str(form.get("meter", "")),
                reading=int(str(form.get("reading", ""))),
                read_on=date.fromisoformat(str(form.get("read_on", ""))),
                actor=user.username,
            )
        elif action == "parcel":
            service.log_parcel(
                db,
                res,
                carrier=str(form.get("carrier", ""))[:60],
                description=str(form.get("description", ""))[:200],
                actor=user.username,
                now=clock(),
            )
        elif action == "end":
            service.end(db, res, contract, on=date.fromisoformat(str(form.get("on", ""))), now=clock())
        elif action == "resolve":
            ending.resolve(db, res, str(form.get("alert_id", ""))[:26], actor=user, now=clock())
        elif action == "deposit":
            app = services(request)
            ending.settle_deposit(
                db,
                res,
                deductions=_deductions(form, res.currency),
                billing=app.settings.billing,
                provider=app.billing.provider,
                actor=user,
                now=clock(),
            )
        else:
            return HTMLResponse("", status_code=404)
    except ValueError:  # a date, a number or an amount that is not one (MoneyError is one too)
        db.rollback()
        return _page(
            request, db, site=site, reservation_id=reservation_id, now=clock(), error="value", status=422
        )
    except DomainError as exc:
        db.rollback()
        said = REFUSALS.get(str(exc.extra.get("reason", "")))
        return _page(
            request,
            db,
            site=site,
            reservation_id=reservation_id,
            now=clock(),
            error=_(said) if said else exc.detail,
            status=exc.status,
        )
    if action != "deposit":  # the settlement audits itself, with its amounts
        audit(db, user, f"long_stay.{action}", "reservation", res.id, {}, site=site)
    return RedirectResponse(f"/operations/long-stays/{site}/{reservation_id}", status_code=303)


def _deductions(form: Any, currency: str) -> list[tuple[str, int]]:
    """The form's deduction lines (a reason and an amount in the currency, "45.50"); empty lines skipped."""
    found = []
    for n in range(1, DEDUCTION_LINES + 1):
        reason = str(form.get(f"reason_{n}", "")).strip()[:120]
        amount = str(form.get(f"amount_{n}", "")).strip()[:20]
        if reason or amount:
            found.append((reason, Money.parse(amount, currency).minor))
    return found
