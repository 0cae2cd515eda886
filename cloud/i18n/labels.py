"""Display labels for stored codes (roles, tiers, choices), marked for extraction."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


LABELS: dict[str, str] = {
    "front_desk": N_("Front desk"), "housekeeping": N_("Housekeeping"), "maintenance": N_("Maintenance"),
    "manager": N_("Manager"), "chain_admin": N_("Chain administrator"),
    "storekeeper": N_("Storekeeper"), "spa": N_("Spa attendant"),
    "normal": N_("Normal"), "frequent": N_("Frequent"),
    "passport": N_("Passport"), "national_id": N_("National ID card"),
    "driving_licence": N_("Driving licence"),
    "residence_permit": N_("Residence permit"),
    "soft": N_("Soft"), "firm": N_("Firm"), "feather": N_("Feather"), "hypoallergenic": N_("Hypoallergenic"),
    "vegetarian": N_("Vegetarian"), "vegan": N_("Vegan"), "halal": N_("Halal"), "kosher": N_("Kosher"),
    "gluten_free": N_("Gluten free"), "lactose_free": N_("Lactose free"),
    "occupied": N_("occupied"), "vacant": N_("vacant"), "open": N_("open"), "closed": N_("closed"),
    "unknown": N_("unknown"), "locked": N_("locked"), "unlocked": N_("unlocked"), "online": N_("online"),
    "offline": N_("offline"), "clean": N_("clean"), "dirty": N_("dirty"), "inspected": N_("inspected"),
    "in_progress": N_("in progress"), "out_of_order": N_("out of order"),
    "guest.register": N_("registered"), "guest.update": N_("details changed"),
    "guest.stay": N_("stay recorded"),
    "guest.merge": N_("duplicate merged in"), "guest.merged_into": N_("merged into another profile"),
    "guest.export": N_("data exported"), "guest.erase": N_("personal data erased"),
    "booked": N_("booked"), "checked_in": N_("checked in"), "checked_out": N_("checked out"),
    "cancelled": N_("cancelled"), "no_show": N_("no-show"),
    "low": N_("Low floor"), "high": N_("High floor"), "": N_("No preference"),
    "access.granted": N_("access granted"), "access.denied": N_("access denied"),
    "door.opened": N_("door opened"), "door.closed": N_("door closed"), "door.ajar": N_("door left open"),
    "door.forced": N_("door forced"), "node.offline": N_("door node offline"),
    "room.occupancy": N_("occupancy changed"), "room.vacated": N_("room vacated"),
    "tamper": N_("tamper alarm"), "node.fault": N_("door fault"), "room.setback": N_("energy setback"),
    # why a door said yes or no (the gateways' access reasons)
    "granted": N_("granted"), "listed": N_("listed card"), "remote": N_("opened remotely"),
    "malformed": N_("unreadable card"), "unknown_key": N_("unknown key"),
    "bad_signature": N_("bad signature"), "retired_key": N_("retired key"), "revoked": N_("revoked"),
    "expired": N_("expired"), "not_yet_valid": N_("not yet valid"), "wrong_door": N_("wrong door"),
    "wrong_room": N_("wrong room"), "superseded": N_("superseded by a newer card"),
    "unknown_card": N_("unknown card"), "node-allowlist": N_("admitted by the door node offline"),
    "node-offline": N_("door node offline"), "decision-error": N_("decision error"),
    "checkout": N_("checked out"), "checkout_time": N_("checkout time"),
    # what a door reported wrong (node.fault's kinds: the reader, the card, the lock)
    "reader_silent": N_("card reader silent"), "reader_back": N_("card reader back"),
    "card_torn": N_("card pulled away mid-read"), "two_cards": N_("two cards at once"),
    "reader_garbage": N_("noise on the reader's bus"), "card_unreadable": N_("unreadable card"),
    "lock_no_feedback": N_("lock did not follow its relay"),
}

# What maintenance should look at for each door fault (shown beside the fault's label).
FAULT_HINTS: dict[str, str] = {
    "reader_silent":
        N_("Check the reader's cable and power; the door stays locked, remote unlock still works."),
    "reader_back": N_("The reader answers again; nothing to do unless it keeps dropping out."),
    "card_torn":
        N_("The card left before it was read; if it repeats, check the card or the reader's position."),
    "two_cards": N_("Two cards were held together; ask the guest to tap one card."),
    "reader_garbage": N_("Check the reader's I2C wiring, its connectors and nearby interference."),
    "card_unreadable": N_("Not one of our keycards, or a damaged one; issue a new card at the desk."),
    "lock_no_feedback":
        N_("Check the lock's motor or strike and its monitor switch; the door was kept locked."),
}


def fault_hint(code: str) -> str:
    """The English maintenance hint of a door fault (translate it with ``_()``), or empty."""
    return FAULT_HINTS.get(code, "")


def label(code: str) -> str:
    """The English label of a code (translate it with ``_()``), or the code itself."""
    return LABELS.get(code, code)
