"""What staff read when the desk refuses an operation, by the refusal's reason (translated at
render; the detail follows in small print)."""

from __future__ import annotations

from cloud.i18n.labels import N_

REASONS: dict[str, str] = {
    "amount": N_("The amount must be more than zero."),
    "balance": N_("The guest still owes the balance: take the payment first."),
    "card_not_written": N_("The card was not written: lay a blank card on the reader and try again."),
    "charge_kind": N_("That kind of charge is not one the desk posts."),
    "email": N_("That is not an e-mail address."),
    "method": N_("Take the payment in cash or on the card terminal."),
    "nights": N_("A walk-in stays 1 to 60 nights."),
    "no_name": N_("A walk-in needs the guest's name."),
    "no_price": N_("The rates do not sell this stay: choose another plan, room or length, or give a price."),
    "no_replica": N_("The node has no bookings from the cloud yet."),
    "not_booked": N_("This guest is checked in already."),
    "not_in_house": N_("This guest is not checked in."),
    "phone": N_("A phone number has digits, spaces and + ( ) - only."),
    "room_taken": N_("The room is not free for those nights."),
    "same_room": N_("The guest is in that room already."),
    "unknown_reservation": N_("The desk does not know this booking."),
    "unknown_room": N_("There is no such room."),
}
