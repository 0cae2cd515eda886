"""Display labels for stored codes (roles, tiers, choices), marked for extraction."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


LABELS: dict[str, str] = {
    "front_desk": N_("Front desk"), "housekeeping": N_("Housekeeping"), "maintenance": N_("Maintenance"),
    "manager": N_("Manager"), "chain_admin": N_("Chain administrator"),
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
}


def label(code: str) -> str:
    """The English label of a code (translate it with ``_()``), or the code itself."""
    return LABELS.get(code, code)
