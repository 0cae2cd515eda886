"""What a guest page shows of the catalog and a booking, in the guest's language."""

from __future__ import annotations

from cloud.catalog.models import RatePlan, RoomType
from cloud.i18n.jinja import gettext as _

LANG_TO_GUEST = {"en": "en", "es": "es", "zh-Hans": "zh"}
GUEST_TO_LANG = {value: key for key, value in LANG_TO_GUEST.items()}


def N_(text: str) -> str:
    return text


MEALS = {
    "none": N_("Room only"),
    "breakfast": N_("Breakfast included"),
    "half_board": N_("Half board"),
    "full_board": N_("Full board"),
    "all_inclusive": N_("All inclusive"),
}

PAYMENT_STATES = {
    "pending": N_("Waiting for confirmation"),
    "succeeded": N_("Paid"),
    "failed": N_("Not paid"),
}

CHARGE_KINDS = {
    "room_night": N_("Room night"), "minibar": N_("Minibar"), "restaurant": N_("Restaurant"),
    "laundry": N_("Laundry"), "spa": N_("Spa"), "transport": N_("Transport"),
    "late_checkout": N_("Late checkout"), "cancellation": N_("Cancellation fee"),
    "no_show": N_("No-show fee"),
}


def charge_kind(kind: str) -> str:
    return _(CHARGE_KINDS.get(kind, CHARGE_KINDS["room_night"]))


def payment_state(status: str) -> str:
    return _(PAYMENT_STATES.get(status, PAYMENT_STATES["pending"]))


def type_name(room_type: RoomType, lang: str) -> str:
    return (room_type.names or {}).get(LANG_TO_GUEST.get(lang, "en")) or room_type.name


def type_description(room_type: RoomType, lang: str) -> str:
    return (room_type.descriptions or {}).get(LANG_TO_GUEST.get(lang, "en")) or ""


def meals(plan: RatePlan) -> str:
    return _(MEALS.get(plan.meals, MEALS["none"]))


def cancellation(plan: RatePlan) -> str:
    """The plan's cancellation terms as a sentence."""
    if not plan.refundable:
        return _("Non-refundable: the stay is charged if cancelled.")
    if plan.free_cancel_hours <= 0:
        return _("Cancelling costs %(nights)d night(s).") % {"nights": plan.cancel_fee_nights}
    return _("Free cancellation until %(hours)d hours before arrival, then %(nights)d night(s).") % {
        "hours": plan.free_cancel_hours, "nights": plan.cancel_fee_nights}


def deposit(deposit_minor: int, total_minor: int) -> str:
    if deposit_minor <= 0:
        return _("No deposit.")
    if deposit_minor >= total_minor:
        return _("The whole stay is paid when booking.")
    return _("A deposit is paid when booking, the rest at the hotel.")
