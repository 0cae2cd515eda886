"""What each conflict rule means and what staff do about it (texts for the cloud's conflicts page
and the node's desk page, translated at render)."""

from __future__ import annotations

from cloud.i18n.labels import N_

RULES: dict[str, tuple[str, str]] = {  # rule -> (what it means, what staff do)
    "held": (
        N_("Waits behind an earlier conflict of the same guest"),
        N_("Handle the first conflict of this guest; this one follows it."),
    ),
    "unknown_reservation": (
        N_("The cloud does not have this booking"),
        N_("Find the booking (another property or a typo) or re-book the guest as a walk-in."),
    ),
    "cancelled_online": (
        N_("Cancelled online while the guest checked in"),
        N_("Reinstate the booking with the channel, or re-book the guest as a walk-in."),
    ),
    "room_sold_twice": (
        N_("Room sold online during the outage"),
        N_(
            "The guest at the hotel keeps the room: move the online booking to another room "
            "of the same type, or relocate it."
        ),
    ),
    "price_changed": (
        N_("Price changed in the cloud"),
        N_("Nothing to do: the desk's price stands. Check the difference if it matters."),
    ),
    "refused": (
        N_("The cloud could not read this operation"),
        N_("Redo the operation by hand in the cloud from the node's record."),
    ),
}
