"""What the set-up pages show: a submitted form read safely, a section's table and form, the
floors' gateways as the cloud last heard them, and a new floor's broker credentials."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.board.models import Gateway
from cloud.core.templating import templates
from cloud.i18n.labels import N_
from cloud.setup.diff import Diff
from cloud.setup.document import (
    WEEKDAYS,
    AreaPart,
    FloorPart,
    OutOfOrderPart,
    PricePart,
    PropertyDocument,
    RatePlanPart,
    RestrictionPart,
    RoomPart,
    RoomTypePart,
    ServiceItemPart,
    Strict,
    TaxCategoryPart,
    TaxPart,
)
from cloud.setup.editing import keys_of
from cloud.setup.errors import Problem
from cloud.setup.formats import as_data
from cloud.setup.forms import LANGS, SECTION_FIELDS, choice_label, form_values
from mqtt.credentials import gateway_acl, gateway_user, passwd_line

MAX_FIELD = 4000
# the set-up pages' tabs, in the order a hotel is set up
TABS: tuple[tuple[str, str], ...] = (
    ("property", N_("Property")),
    ("floors", N_("Floors and gateways")),
    ("room_types", N_("Room types")),
    ("rooms", N_("Rooms")),
    ("areas", N_("Card areas")),
    ("rate_plans", N_("Rate plans")),
    ("prices", N_("Prices")),
    ("calendar", N_("Calendar")),
    ("restrictions", N_("Restrictions")),
    ("tax_categories", N_("Tax categories")),
    ("taxes", N_("Taxes")),
    ("service_items", N_("Service items")),
    ("out_of_order", N_("Out of order")),
    ("document", N_("Import and export")),
)
PARTS: dict[str, type[Strict]] = {
    "floors": FloorPart, "room_types": RoomTypePart, "rooms": RoomPart, "areas": AreaPart,
    "rate_plans": RatePlanPart, "prices": PricePart, "restrictions": RestrictionPart,
    "tax_categories": TaxCategoryPart, "taxes": TaxPart, "service_items": ServiceItemPart,
    "out_of_order": OutOfOrderPart,
}
# a choice field without its own choices picks among the items of this section
CHOICES_FROM = {"floor": "floors", "type": "room_types", "plan": "rate_plans", "category": "tax_categories",
                "room": "rooms"}


@dataclass
class Form:
    """A submitted form's text fields (the first value of each, and every value of each)."""

    first: dict[str, str]
    lists: dict[str, list[str]]
    problems: list[Problem] = field(default_factory=list)

    @property
    def values(self) -> dict[str, str]:
        return self.first

    def text(self, name: str) -> str:
        return self.first.get(name, "").strip()

    def flag(self, name: str) -> bool:
        return self.text(name) in ("on", "true", "1")

    def integer(self, name: str) -> int:
        try:
            return int(self.text(name))
        except ValueError:
            self.problems.append(Problem(name, f"not a whole number: {self.text(name)[:20]!r}"))
            return 0


async def read_form(request: Request, *, limit: int = MAX_FIELD) -> Form:
    """The form's text fields; a field longer than ``limit`` is a problem, not truncated silently."""
    data = await request.form()
    form = Form({}, {})
    for name, value in data.multi_items():
        if not isinstance(value, str):
            continue
        if len(value) > limit:
            form.problems.append(Problem(name[:40], f"longer than {limit} characters"))
            value = ""
        form.first.setdefault(name, value)
        form.lists.setdefault(name, []).append(value)
    return form


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    context = {"active": "setup", "tabs": TABS, "problems": [], "shown": shown, "choice_label": choice_label,
               "change_rows": change_rows, **context}
    if "doc" in context:
        context.setdefault("time_zone", context["doc"].property.time_zone)
    return templates.TemplateResponse(request, f"setup/{name}", context, status_code=status)


def section_context(doc: PropertyDocument, section: str, *, edit: str) -> dict[str, Any]:
    """A section's rows (key, data), the form's fields and choices, and the item being edited."""
    data = as_data(doc)
    currency = doc.property.currency
    if section == "property":
        rows = [(doc.property.site, data["property"])]
        editing: dict[str, Any] | None = data["property"]
        edit = doc.property.site
    else:
        rows = list(zip(keys_of(doc, section), data[section], strict=True))
        editing = next((item for key, item in rows if key == edit), None)
        edit = edit if editing is not None else ""
        editing = editing if editing is not None else defaults(section)
    fields = SECTION_FIELDS[section]
    choices = {
        f.name: f.choices or tuple(keys_of(doc, CHOICES_FROM[f.name]))
        for f in fields
        if f.kind in ("choice", "opt_choice")
    }
    return {
        "doc": doc, "site": doc.property.site, "section": section, "rows": rows, "fields": fields,
        "choices": choices, "edit": edit, "values": form_values(section, editing, currency=currency),
        "currency": currency, "langs": LANGS, "weekdays": WEEKDAYS,
    }


def defaults(section: str) -> dict[str, Any]:
    """A new item's fields as the document's model leaves them when not given."""
    model = PARTS[section]
    return {
        (info.serialization_alias or name): info.default
        for name, info in model.model_fields.items()
        if not info.is_required() and info.default is not None
    }


def gateway_states(db: Session, site: str) -> dict[str, Gateway]:
    """Each floor's gateway as it last reported (a floor never heard from is absent)."""
    return {g.floor: g for g in db.scalars(select(Gateway).where(Gateway.site == site))}


def new_floor_credentials(site: str, floor: str) -> dict[str, str]:
    """A new password for the floor's gateway: the broker's password-file line and ACL, and the
    gateway's own setting. Only the hash is meant to be kept; the page shows the password once."""
    user = gateway_user(site, floor)
    password = secrets.token_urlsafe(24)
    return {
        "username": user,
        "password": password,
        "passwd_line": passwd_line(user, password),
        "acl": "\n".join(gateway_acl(site, floor)),
        "floor_toml": f'site = "{site}"\nfloor = "{floor}"\n'
        f'mqtt_url = "mqtt://{user}:{quote(password, safe="")}@BROKER:1883"',
    }


def shown(value: Any) -> str:
    """A document value as one line of text (lists joined, names per language as ``en: ...``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {shown(v)}" for k, v in value.items() if v not in (None, "", [], {}, False))
    return str(value)


def change_rows(diff: Diff) -> list[dict[str, Any]]:
    """Each change with the fields it changes: (field, before, after); a new item's in one line."""
    rows = []
    for change in diff.changes:
        before, after = change.before or {}, change.after or {}
        fields = []
        if change.action == "update":
            fields = [(k, shown(before.get(k)), shown(v)) for k, v in after.items() if before.get(k) != v]
        rows.append({"action": change.action, "section": change.section, "key": change.key, "fields": fields,
                     "before": shown(before) if change.action != "update" else "",
                     "summary": shown(after) if change.action == "create" else ""})
    return rows
