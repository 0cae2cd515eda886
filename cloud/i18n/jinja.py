"""Puts translations and formatting into the portal's Jinja environment and picks the language.

Templates use ``{{ _('Text') }}`` (or ``t('Text')``, ``{% trans %}``), ``{{ when(ts) }}``,
``{{ day(d) }}``, ``{{ money(minor, 'EUR') }}``, ``{{ csrf_field() }}`` and ``lang``.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.types import ASGIApp, Receive, Scope, Send

from cloud.i18n import formatting
from cloud.i18n.catalog import DEFAULT, LANGUAGES, NATIVE_NAMES, negotiate, translations
from cloud.i18n.labels import FAULT_HINTS, LABELS, fault_hint, label

LANG_COOKIE = "posada_lang"
current_lang: ContextVar[str] = ContextVar("current_lang", default=DEFAULT)


def gettext(message: str) -> str:
    return translations(current_lang.get()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_lang.get()).ungettext(singular, plural, n)


def choose_language(request_cookie: str | None, accept_language: str) -> str:
    if request_cookie in LANGUAGES:
        return request_cookie
    return negotiate(accept_language)


class LanguageMiddleware:
    """Sets the request's language (cookie, else Accept-Language) for templates and handlers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        lang = choose_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language", ""))
        scope.setdefault("state", {})["lang"] = lang
        token = current_lang.set(lang)
        try:
            await self.app(scope, receive, send)
        finally:
            current_lang.reset(token)


def _context(request: Request) -> dict[str, Any]:
    lang = getattr(request.state, "lang", DEFAULT)
    principal = getattr(request.state, "principal", None)
    tz = principal.time_zone if principal else "UTC"
    csrf = getattr(request.state, "csrf_token", "")

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(csrf))

    def when(value: datetime | None, style: str = "medium") -> str:
        return formatting.when(value, tag=lang, time_zone=tz, style=style)

    def clock(value: datetime | None) -> str:
        return formatting.clock(value, tag=lang, time_zone=tz)

    def label_map() -> dict[str, str]:
        return {code: gettext(text) for code, text in LABELS.items()}

    def hint(code: str) -> str:
        text = fault_hint(code)
        return gettext(text) if text else ""

    def hint_map() -> dict[str, str]:
        return {code: gettext(text) for code, text in FAULT_HINTS.items()}

    def day(value: date | None, style: str = "medium") -> str:
        return formatting.day(value, tag=lang, style=style)

    def money(minor: int, currency: str) -> str:
        return formatting.money(minor, currency, tag=lang)

    def kwh(value: float) -> str:
        return formatting.kwh(value, tag=lang)

    return {"lang": lang, "languages": NATIVE_NAMES, "principal": principal, "csrf_token": csrf,
            "csrf_field": csrf_field,
            "label": lambda code: gettext(label(code)),
            "when": when, "clock": clock, "label_map": label_map,
            "hint": hint, "hint_map": hint_map, "day": day, "money": money, "kwh": kwh,
            "time_zone": tz}


def install_i18n(app: FastAPI, templates: Jinja2Templates) -> None:
    """Call once from the app factory with the portal's templates."""
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["t"] = env.globals["gettext"]
    if _context not in templates.context_processors:
        templates.context_processors.append(_context)
    app.add_middleware(LanguageMiddleware)
