"""The managers' page for the guest emails' texts: each message kind in each language, the hotel's
own version or the default, edited with its placeholders listed, previewed with sample values,
and refused whole (nothing kept) when it names a placeholder the message does not have."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from cloud.auth.deps import check_property, require_role
from cloud.auth.roles import Principal, Role
from cloud.catalog import service as catalog
from cloud.catalog.models import Property
from cloud.core.deps import DbSession, request_time
from cloud.core.errors import DomainError
from cloud.core.templating import templates
from cloud.guestweb.email_texts import (
    LANGUAGES,
    PLACEHOLDERS,
    TEMPLATES,
    EmailText,
    TemplateRefused,
    render,
)
from cloud.guestweb.emails import text_for
from cloud.guestweb.models import EmailTemplate

router = APIRouter(prefix="/desk", include_in_schema=False)
Manager = Annotated[Principal, require_role(Role.MANAGER, Role.CHAIN_ADMIN)]
MAX_SUBJECT, MAX_BODY = 200, 10_000
SAMPLE = {"name": "Ana Ruiz", "arrival": "2027-05-04", "departure": "2027-05-06", "checkin_from": "15:00",
          "number": "F-2027-000123", "link": "https://hotel.example/guest/…/stay/…",
          "precheckin": "https://hotel.example/guest/…/precheckin/…"}


def _sample(prop: Property) -> dict[str, str]:
    money = f"{prop.currency} 110.00"
    return {**SAMPLE, "hotel": prop.name, "paid": money, "total": money, "fee": money, "amount": money}


def _reason(exc: TemplateRefused) -> str:
    """What the page says (translated there): a placeholder the message lacks, or a broken text."""
    return f"placeholder:{{{exc.placeholder}}}" if exc.placeholder is not None else "syntax"


def _choice(request: Request, form: dict[str, Any] | None = None) -> tuple[str, str]:
    source = form if form is not None else request.query_params
    template, language = str(source.get("template", TEMPLATES[0])), str(source.get("language", "en"))
    template = template if template in TEMPLATES else TEMPLATES[0]
    return template, (language if language in LANGUAGES else "en")


def _site(db: DbSession, user: Principal, request: Request, form: dict[str, Any] | None = None) -> Property:
    site = str((form or {}).get("site") or request.query_params.get("site") or user.site or "")
    check_property(db, user, site)
    return catalog.get_property(db, site)


def _page(request: Request, db: DbSession, prop: Property, *, template: str, language: str,
          text: EmailText | None = None, error: str = "", saved: bool = False, status: int = 200) -> Response:
    own = {(row.template, row.language) for row in db.scalars(
        select(EmailTemplate).where(EmailTemplate.property_id == prop.id))}
    shown = text or text_for(db, prop, template, language)
    preview = None
    if not error:
        try:
            preview = render(shown, _sample(prop), template)
        except TemplateRefused as exc:
            error = _reason(exc)
    return templates.TemplateResponse(request, "guestweb/desk_emails.html", {
        "site": prop.slug, "templates_": TEMPLATES, "email_languages": LANGUAGES, "own": own,
        "template": template, "language": language, "text": shown, "preview": preview,
        "placeholders": sorted(PLACEHOLDERS[template]), "error": error, "saved": saved,
        "active": "guest-emails"}, status_code=status)


@router.get("/guest-emails", response_class=HTMLResponse)
def emails_page(request: Request, db: DbSession, user: Manager) -> Response:
    template, language = _choice(request)
    try:
        prop = _site(db, user, request)
    except DomainError as exc:
        return HTMLResponse(exc.detail, status_code=exc.status)
    return _page(request, db, prop, template=template, language=language,
                 saved=request.query_params.get("saved") == "1")


@router.post("/guest-emails", response_model=None)
async def emails_submit(request: Request, db: DbSession, user: Manager) -> Response:
    """``action``: preview (nothing kept), save (checked first, refused whole) or reset (the default)."""
    form = dict(await request.form())
    template, language = _choice(request, form)
    try:
        prop = _site(db, user, request, form)
    except DomainError as exc:
        return HTMLResponse(exc.detail, status_code=exc.status)
    subject = str(form.get("subject", "")).replace("\r", "").replace("\n", " ").strip()
    body = str(form.get("body", "")).replace("\r\n", "\n")
    action = str(form.get("action", "preview"))
    own = db.get(EmailTemplate, (prop.id, template, language))
    if action == "reset":
        if own is not None:
            db.delete(own)
            db.flush()
        return RedirectResponse(f"/desk/guest-emails?site={prop.slug}&template={template}&language={language}"
                                "&saved=1", status_code=303)
    text = EmailText(subject, body)
    error = ""
    if not subject or not body.strip() or len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
        error = "empty"
    else:
        try:
            render(text, _sample(prop), template)
        except TemplateRefused as exc:
            error = _reason(exc)
    if error or action != "save":
        return _page(request, db, prop, template=template, language=language, text=text, error=error,
                     status=422 if error else 200)
    row = own or EmailTemplate(property_id=prop.id, template=template, language=language)
    row.subject, row.body = subject, body
    row.updated_at, row.updated_by = request_time(request), user.username
    db.add(row)
    db.flush()
    return RedirectResponse(f"/desk/guest-emails?site={prop.slug}&template={template}&language={language}"
                            "&saved=1", status_code=303)
