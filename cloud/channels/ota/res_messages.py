"""Reservations from a channel: OTA_HotelResNotifRQ / OTA_HotelResModifyNotifRQ read into plain
facts, and the response that acknowledges them with our reservation ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from lxml import etree

from cloud.channels.ota.ari_messages import _header
from cloud.channels.ota.xml import E, XmlRefused, q

ROOTS = ("OTA_HotelResNotifRQ", "OTA_HotelResModifyNotifRQ")
CONFIRMATION_TYPES = ("14", "16")  # the channel's own reservation id (OTA UIT: 14 PMS/CRS, 16 reference)


@dataclass(frozen=True)
class ChannelBooking:
    """One reservation as a channel states it (``action``: book, modify or cancel)."""

    action: str
    confirmation: str
    hotel_code: str
    room_code: str = ""
    rate_code: str = ""
    arrival: date | None = None
    departure: date | None = None
    adults: int = 1
    children: int = 0
    total: Decimal | None = None
    currency: str = ""
    guest_name: str = ""
    guest_email: str | None = None
    guest_phone: str | None = None
    nightly: tuple[
        tuple[date, date, Decimal, str], ...
    ] = ()  # per-night rates: from, to (exclusive), amount, currency
    remarks: tuple[str, ...] = ()  # the guest's comments and special requests, as sent


@dataclass(frozen=True)
class Document:
    root_name: str
    echo: str
    bookings: tuple[ChannelBooking, ...]


ACTIONS = {"Book": "book", "Commit": "book", "Modify": "modify", "Cancel": "cancel"}


def read(root: etree._Element) -> Document:
    """The facts of a schema-valid document (the caller parsed it with ``xml.parse``)."""
    name = etree.QName(root).localname
    item = "HotelReservation" if name == "OTA_HotelResNotifRQ" else "HotelResModify"
    bookings = tuple(_booking(el, modify_doc=name != "OTA_HotelResNotifRQ") for el in root.iter(q(item)))
    return Document(root_name=name, echo=root.get("EchoToken", ""), bookings=bookings)


def _booking(el: etree._Element, *, modify_doc: bool) -> ChannelBooking:
    action = ACTIONS[el.get("ResStatus", "")]
    if modify_doc and action == "book":
        action = "modify"
    ids = {i.get("ResID_Type"): i.get("ResID_Value", "") for i in el.iter(q("HotelReservationID"))}
    unique = {u.get("Type"): u.get("ID", "") for u in el.findall(q("UniqueID"))}
    confirmation = next((ids[t] for t in CONFIRMATION_TYPES if t in ids), None) or unique.get("14")
    if confirmation is None:
        raise XmlRefused(
            "a reservation needs the channel's id "
            "(HotelReservationID ResID_Type 14 or 16, or UniqueID Type 14)"
        )
    hotel = _one(el, "BasicPropertyInfo").get("HotelCode", "")
    if action == "cancel":
        return ChannelBooking(action=action, confirmation=confirmation, hotel_code=hotel)
    stay = el.find(f"{q('RoomStays')}/{q('RoomStay')}")
    if stay is None:
        raise XmlRefused(f"reservation {confirmation}: a {action} needs its RoomStay")
    span, total = _one(stay, "TimeSpan"), _one(stay, "Total")
    counts = {g.get("AgeQualifyingCode"): int(g.get("Count", "0")) for g in stay.iter(q("GuestCount"))}
    name = _guest_name(el)
    return ChannelBooking(
        action=action,
        confirmation=confirmation,
        hotel_code=hotel,
        room_code=_one(stay, "RoomType").get("RoomTypeCode", ""),
        rate_code=_one(stay, "RatePlan").get("RatePlanCode", ""),
        arrival=_date(span.get("Start", ""), confirmation),
        departure=_date(span.get("End", ""), confirmation),
        adults=counts.get("10", 1),
        children=counts.get("8", 0),
        total=_decimal(total.get("AmountAfterTax") or total.get("AmountBeforeTax"), confirmation),
        currency=total.get("CurrencyCode", ""),
        guest_name=name,
        guest_email=_text(el, "Email"),
        guest_phone=_phone(el),
        nightly=tuple(_rate(rate, confirmation) for rate in stay.iter(q("Rate"))),
        remarks=_remarks(el),
    )


def _rate(rate: etree._Element, confirmation: str) -> tuple[date, date, Decimal, str]:
    """One per-night rate: nights EffectiveDate up to ExpireDate (exclusive; equal dates: one night)."""
    start = _date(rate.get("EffectiveDate", ""), confirmation)
    end = _date(rate.get("ExpireDate", ""), confirmation)
    base = _one(rate, "Base")
    amount = _decimal(base.get("AmountAfterTax") or base.get("AmountBeforeTax"), confirmation)
    return start, max(end, start + timedelta(days=1)), amount, base.get("CurrencyCode", "")


def _remarks(el: etree._Element) -> tuple[str, ...]:
    """Comments and special requests wherever the document puts them (stay, global info)."""
    out = []
    for item in (*el.iter(q("Comment")), *el.iter(q("SpecialRequest"))):
        text = " ".join((t.text or "").strip() for t in item.findall(q("Text"))).strip()
        label = item.get("Name")
        if text or label:
            out.append(f"{label}: {text}" if label and text else text or label or "")
    return tuple(dict.fromkeys(out))


def _date(value: str, confirmation: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:  # xs:date allows a zone ("2027-03-01Z"); a night has none
        raise XmlRefused(f"reservation {confirmation}: {value!r} is not a plain date") from exc


def _one(el: etree._Element, name: str) -> etree._Element:
    found = el.find(f".//{q(name)}")
    if found is None:
        raise XmlRefused(f"missing {name}")
    return found


def _text(el: etree._Element, name: str) -> str | None:
    found = el.find(f".//{q(name)}")
    return (found.text or "").strip() or None if found is not None else None


def _phone(el: etree._Element) -> str | None:
    found = el.find(f".//{q('Telephone')}")
    return found.get("PhoneNumber") if found is not None else None


def _guest_name(el: etree._Element) -> str:
    given, surname = _text(el, "GivenName"), _text(el, "Surname")
    return " ".join(p for p in (given, surname) if p)


def _decimal(value: str | None, confirmation: str) -> Decimal:
    if value is None:
        raise XmlRefused(f"reservation {confirmation}: the Total has no amount")
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise XmlRefused(f"reservation {confirmation}: {value!r} is not an amount") from exc


def response(
    doc: Document,
    *,
    now: datetime,
    ours: list[tuple[str, str]] | None = None,
    errors: list[str] | None = None,
) -> etree._Element:
    """Success with (channel id, our id) per stored reservation, or the errors (nothing stored)."""
    maker = getattr(E, doc.root_name.replace("RQ", "RS"))
    header = _header(doc.echo or "none", now)
    if errors:
        result: etree._Element = maker(header, E.Errors(*(E.Error(t, Type="3") for t in errors)))
        return result
    reservations = [
        E.HotelReservation(
            E.ResGlobalInfo(
                E.HotelReservationIDs(
                    E.HotelReservationID(ResID_Type="16", ResID_Value=theirs),
                    E.HotelReservationID(ResID_Type="14", ResID_Value=mine),
                )
            )
        )
        for theirs, mine in ours or []
    ]
    parts = [E.Success(), *([E.HotelReservations(*reservations)] if reservations else [])]
    result = maker(header, *parts)
    return result
