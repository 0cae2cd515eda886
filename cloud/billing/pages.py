"""The front desk's check-out page: the stay's folio line by line, extras, payments, check-out
and the invoice. Every post is a form with its CSRF token and a one-time key, so a double
click records one payment; a refusal comes back to the page as a message, nothing changed."""

from __future__ import annotations

from typing import Any

from babel.numbers import get_decimal_symbol
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.auth.roles import Principal
from cloud.billing import invoicing, payments
from cloud.billing import property_terms as terms
from cloud.billing.access import BillingUser
from cloud.billing.context import BillingContext
from cloud.billing.desk import EXTRAS, AmountRefused, folio_view, mark, parse_amount, seen
from cloud.billing.desk_messages import message, problem_message
from cloud.billing.folio import ChargeKind, Payer, PaymentMethod, PaymentStage
from cloud.billing.models import Folio
from cloud.billing.service import ChargeRequest, post_charge
from cloud.billing.stay_ledger import folio_of
from cloud.catalog.models import Property
from cloud.core.deps import DbSession, request_time, services
from cloud.core.errors import DomainError
from cloud.core.money import Money
from cloud.core.templating import templates
from cloud.i18n.catalog import babel_locale
from cloud.reservations.models import Reservation
from cloud.reservations.present import reservation_out
from cloud.reservations.sales import booking
from cloud.reservations.stays import service as stays
from cloud.reservations.stays.ledger import Settle, stay_ledger
from cloud.reservations.web import own_stay
from mqtt.envelope import new_id

router = APIRouter(prefix="/reservations", include_in_schema=False)
Form = dict[str, str]


class Refused(Exception):
    """A desk action refused with a message already in the page's language."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _billing(request: Request) -> BillingContext:
    return services(request).billing




async def _form(request: Request) -> Form:
    data = await request.form()
    return {k: str(v).strip()[:300] for k, v in data.items() if isinstance(v, str)}


def _page(request: Request, db: Session, res: Reservation, prop: Property, *,
          errors: list[str] | None = None, status: int = 200) -> HTMLResponse:
    folio = folio_of(db, res.id)
    ctx = _billing(request)
    view = folio_view(db, folio) if folio is not None else None
    qr = bool(ctx.settings.qr_account_gui and ctx.settings.qr_account_id)
    query = request.query_params
    return templates.TemplateResponse(request, "billing/checkout.html", {
        "active": "reservations", "prop": prop, "r": reservation_out(db, res), "view": view,
        "folio": folio, "extras": EXTRAS, "qr": qr and view is not None and view.owed > 0,
        "key": new_id(), "errors": errors or [], "done": query.get("done", "")[:16],
        "change": _int(query.get("change")), "paid": _int(query.get("paid")),
        "pending": query.get("pending") == "1",
        "owed_text": _typed(request, Money(view.owed, folio.currency)) if view and folio else "",
        "tax_inclusive": terms.tax_policy(db, ctx.settings, prop.slug).inclusive,
    }, status_code=status)


def _typed(request: Request, amount: Money) -> str:
    """An amount as the desk would type it: the locale's decimal mark, no grouping."""
    mark = get_decimal_symbol(babel_locale(getattr(request.state, "lang", "en")))
    return amount.decimal_text().replace(".", mark if mark in ".," else ".")


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 16 else None


@router.get("/{reservation_id}/checkout", response_class=HTMLResponse)
def checkout_page(request: Request, db: DbSession, user: BillingUser,
                  reservation_id: str) -> HTMLResponse:
    res, prop = own_stay(db, user, reservation_id[:26])
    return _page(request, db, res, prop)


async def _act(request: Request, db: Session, user: Principal, reservation_id: str,
               action: Any) -> Response:
    """Run one desk action in the request's transaction; a refusal rolls all of it back and
    re-renders the page (422) with the reason."""
    form = await _form(request)
    res, prop = own_stay(db, user, reservation_id[:26])
    try:
        query = action(request, db, res, folio_of(db, res.id), form)
    except (Refused, DomainError) as exc:
        db.rollback()
        text = exc.text if isinstance(exc, Refused) else problem_message(exc)
        res, prop = own_stay(db, user, reservation_id[:26])
        return _page(request, db, res, prop, errors=[text], status=422)
    return RedirectResponse(f"/reservations/{res.id}/checkout{query}", status_code=303)


def _open_folio(folio: Folio | None) -> Folio:
    if folio is None:
        raise Refused(message("no_folio"))
    return folio


def _amount(form: Form, name: str, folio: Folio) -> Any:
    try:
        return parse_amount(form.get(name, ""), currency=form.get("currency", ""),
                            folio_currency=folio.currency)
    except AmountRefused as exc:
        raise Refused(message(exc.reason, currency=folio.currency)) from None


def _once(request: Request, db: Session, scope: str, form: Form, body: list[Any]) -> bool:
    """True the first time a form is sent (and remembered as done in this transaction)."""
    if seen(db, scope=scope, key=form.get("key"), body=body):
        return False
    mark(db, scope=scope, key=form.get("key"), body=body, now=request_time(request))
    return True


def _charge(request: Request, db: Session, res: Reservation, folio: Folio | None,
            form: Form) -> str:
    folio = _open_folio(folio)
    kind = form.get("kind", "")
    if kind not in {k.value for k in EXTRAS}:
        raise Refused(message("kind"))
    quantity = form.get("quantity", "1") or "1"
    if not quantity.isdigit() or not 1 <= int(quantity) <= 100:
        raise Refused(message("quantity"))
    price = _amount(form, "unit_price", folio)
    payer = Payer.COMPANY if form.get("payer") == "company" else Payer.GUEST
    if payer is Payer.COMPANY and folio.company_name is None:
        raise Refused(message("no_company"))
    body = [res.id, kind, form.get("description", "")[:200], quantity, price.minor, payer.value]
    if _once(request, db, "desk-charges", form, body):
        post_charge(db, folio_id=folio.id, now=request_time(request),
                    policy=terms.tax_policy(db, _billing(request).settings, folio.site),
                    request=ChargeRequest(kind=ChargeKind(kind), description=body[2],
                                          unit_price=price, quantity=int(quantity), payer=payer))
    return "?done=charge"


def _payment(request: Request, db: Session, res: Reservation, folio: Folio | None,
             form: Form) -> str:
    folio = _open_folio(folio)
    method = form.get("method", "")
    if method not in {m.value for m in PaymentMethod}:
        raise Refused(message("method"))
    amount = _amount(form, "amount", folio)
    tendered = _amount(form, "tendered", folio).minor if form.get("tendered") else amount.minor
    reference = form.get("reference", "")[:120] or None
    body = [res.id, method, amount.minor, tendered, reference]
    query = f"?done=payment&paid={amount.minor}"
    if method == PaymentMethod.CASH:
        query += f"&change={tendered - amount.minor}"
    if seen(db, scope="desk-payments", key=form.get("key"), body=body):
        return query  # the same form sent again: it was done once
    _check_payment(db, folio, amount=amount.minor, tendered=tendered, method=method,
                   reference=reference)
    request_ = payments.PaymentRequest(amount=amount, method=PaymentMethod(method),
                                       stage=PaymentStage.CHECK_OUT, reference=reference)
    if request_.method is PaymentMethod.CARD:
        return _card(request, db, folio, request_, form, body, query)
    mark(db, scope="desk-payments", key=form.get("key"), body=body, now=request_time(request))
    payments.record_payment(db, folio_id=folio.id, request=request_,
                            provider=_billing(request).provider, started=None, now=request_time(request))
    return query


def _check_payment(db: Session, folio: Folio, *, amount: int, tendered: int, method: str,
                   reference: str | None) -> None:
    owed = folio_view(db, folio).owed
    if amount > owed:
        raise Refused(message("more_than_owed", owed=owed, currency=folio.currency))
    if method == PaymentMethod.CASH and tendered < amount:
        raise Refused(message("tendered_short"))
    if method == PaymentMethod.QR and (not reference or not reference.isprintable()):
        raise Refused(message("reference"))


def _card(request: Request, db: Session, folio: Folio, request_: payments.PaymentRequest,
          form: Form, body: list[Any], query: str) -> str:
    """The provider is called with no transaction open (it may take seconds, and on SQLite
    every transaction holds the write lock); the form's key is its idempotency key."""
    folio_id, key = folio.id, str(form["key"])
    db.commit()
    provider = _billing(request).provider
    started = payments.start_card_payment(provider, folio_id=folio_id, amount=request_.amount,
                                          idempotency_key=key)
    try:
        with db.begin_nested():
            mark(db, scope="desk-payments", key=key, body=body, now=request_time(request))
            payment = payments.record_payment(db, folio_id=folio_id, request=request_,
                                              provider=provider, started=started,
                                              now=request_time(request))
    except IntegrityError:  # the same form, sent twice at once: the other one recorded it
        return query
    return query + ("&pending=1" if payment.status == "pending" else "")


def _finish(request: Request, db: Session, res: Reservation, folio: Folio | None,
            form: Form) -> str:
    """Check out: refused while the guest owes money unless the company is billed for it."""
    ledger = stay_ledger(request)
    assert ledger is not None  # this page is installed with billing, which sets the ledger
    view = folio_view(db, folio) if folio is not None else None
    bill_later = form.get("bill_later") == "on"
    if bill_later and (view is None or not view.has_company):
        raise Refused(message("bill_later_needs_company"))
    if view is not None and view.owed > 0 and not bill_later:
        raise Refused(message("balance_owed", owed=view.owed, currency=view.folio.currency))
    res = booking.load(db, res.id, lock=True)
    now = request_time(request)
    ledger.before_check_out(db, res, settle=Settle.BILL_LATER if bill_later else Settle.REFUSE)
    stays.check_out(db, res, now=now, history=services(request).history)
    invoice_id = ledger.checked_out(db, res, now=now, invoice=form.get("invoice") == "on")
    return "?done=checkout" + ("&invoiced=1" if invoice_id else "")


def _invoice(request: Request, db: Session, res: Reservation, folio: Folio | None,
             form: Form) -> str:
    folio = _open_folio(folio)
    if _once(request, db, "desk-invoices", form, [res.id]):
        invoicing.issue_invoice(db, folio_id=folio.id, payer=Payer.GUEST, now=request_time(request),
                                series=terms.invoice_series(db, _billing(request).settings, folio.site))
    return "?done=invoice"


ACTIONS = {"charge": _charge, "payment": _payment, "finish": _finish, "invoice": _invoice}


@router.post("/{reservation_id}/checkout/{action}", response_model=None)
async def desk_action(request: Request, db: DbSession, user: BillingUser, reservation_id: str,
                      action: str) -> Response:
    if action not in ACTIONS:
        return Response(status_code=404)
    return await _act(request, db, user, reservation_id, ACTIONS[action])
