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
    room_index: int = 1  # which room of the reservation (RoomStay IndexNumber); 0: all of them
    # the channel's price for the stay as stated (None: not stated); ``priced``: the stay is sold
    # at the channel's price (an OTA states it; an iCal hold does not, and is sold at ours)
    before_tax: Decimal | None = None
    after_tax: Decimal | None = None
    taxes: Decimal | None = None
    priced: bool = False


@dataclass(frozen=True)
class Document:
    root_name: str
    echo: str
    bookings: tuple[ChannelBooking, ...]


ERROR_TYPE = "3"  # OpenTravel EWT 3: business rule
ACTIONS = {"Book": "book", "Commit": "book", "Modify": "modify", "Cancel": "cancel"}


def read(root: etree._Element) -> Document:
    """The facts of a schema-valid document (the caller parsed it with ``xml.parse``)."""
    name = etree.QName(root).localname
    item = "HotelReservation" if name == "OTA_HotelResNotifRQ" else "HotelResModify"
    bookings = tuple(
        fact for el in root.iter(q(item)) for fact in _booking(el, modify_doc=name != "OTA_HotelResNotifRQ")
    )
    return Document(root_name=name, echo=root.get("EchoToken", ""), bookings=bookings)


ROOM_CANCELLED = ("Cancel", "Cancelled")  # RoomStayStatus of a room cancelled on its own


def _booking(el: etree._Element, *, modify_doc: bool) -> list[ChannelBooking]:
    """One fact per room stay (a whole cancellation: one fact, ``room_index`` 0)."""
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
        return [ChannelBooking(action=action, confirmation=confirmation, hotel_code=hotel, room_index=0)]
    stays = el.findall(f"{q('RoomStays')}/{q('RoomStay')}")
    if not stays:
        raise XmlRefused(f"reservation {confirmation}: a {action} needs its RoomStay")
    indexes = [int(stay.get("IndexNumber") or n) for n, stay in enumerate(stays, start=1)]
    if len(set(indexes)) != len(indexes):
        raise XmlRefused(f"reservation {confirmation}: two room stays with the same IndexNumber")
    overall = el.find(f"{q('ResGlobalInfo')}/{q('Total')}") if len(stays) == 1 else None
    name = _guest_name(el)
    out = []
    for index, stay in zip(indexes, stays, strict=True):
        if stay.get("RoomStayStatus") in ROOM_CANCELLED:
            out.append(
                ChannelBooking(action="cancel", confirmation=confirmation, hotel_code=hotel, room_index=index)
            )
            continue
        span = _one(stay, "TimeSpan", confirmation, index)
        total = stay.find(q("Total"))
        if total is None:
            total = overall
        if total is None:
            raise XmlRefused(f"reservation {confirmation}: room stay {index} has no Total")
        before, after = total.get("AmountBeforeTax"), total.get("AmountAfterTax")
        stated = total.find(q("Taxes"))
        counts = {g.get("AgeQualifyingCode"): int(g.get("Count", "0")) for g in stay.iter(q("GuestCount"))}
        out.append(
            ChannelBooking(
                action=action,
                confirmation=confirmation,
                hotel_code=hotel,
                room_code=_one(stay, "RoomType", confirmation, index).get("RoomTypeCode", ""),
                rate_code=_one(stay, "RatePlan", confirmation, index).get("RatePlanCode", ""),
                arrival=_date(span.get("Start", ""), confirmation),
                departure=_date(span.get("End", ""), confirmation),
                adults=counts.get("10", 1),
                children=counts.get("8", 0),
                total=_decimal(after or before, confirmation),
                currency=total.get("CurrencyCode", ""),
                guest_name=name,
                guest_email=_text(el, "Email"),
                guest_phone=_phone(el),
                nightly=tuple(_rate(rate, confirmation) for rate in stay.iter(q("Rate"))),
                remarks=_remarks(el),
                room_index=index,
                before_tax=None if before is None else _decimal(before, confirmation),
                after_tax=None if after is None else _decimal(after, confirmation),
                taxes=_taxes(stated, confirmation),
                priced=True,
            )
        )
    return out


def _taxes(stated: etree._Element | None, confirmation: str) -> Decimal | None:
    """The taxes a Total states: its Taxes Amount, else the sum of its Tax amounts."""
    if stated is None:
        return None
    if stated.get("Amount") is not None:
        return _decimal(stated.get("Amount"), confirmation)
    amounts = [t.get("Amount") for t in stated.findall(q("Tax"))]
    if not amounts or any(a is None for a in amounts):
        return None  # percentages only: the amount is not stated
    return sum((_decimal(a, confirmation) for a in amounts), Decimal(0))


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


def _one(el: etree._Element, name: str, confirmation: str = "", index: int = 0) -> etree._Element:
    found = el.find(f".//{q(name)}")
    if found is None:
        where = f"reservation {confirmation}, room stay {index}: " if confirmation else ""
        raise XmlRefused(f"{where}missing {name}")
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
    ours: list[tuple[str, list[str]]] | None = None,
    errors: list[tuple[str, int | None]] | None = None,
) -> etree._Element:
    """Success with (channel id, our ids: one per room, in room order) per stored reservation, or
    the errors as (text, OpenTravel error code) (nothing stored)."""
    maker = getattr(E, doc.root_name.replace("RQ", "RS"))
    header = _header(doc.echo or "none", now)
    if errors:
        result: etree._Element = maker(
            header,
            E.Errors(
                *(E.Error(t, Type=ERROR_TYPE, **({"Code": str(code)} if code else {})) for t, code in errors)
            ),
        )
        return result
    reservations = [
        E.HotelReservation(
            E.ResGlobalInfo(
                E.HotelReservationIDs(
                    E.HotelReservationID(ResID_Type="16", ResID_Value=theirs),
                    *(E.HotelReservationID(ResID_Type="14", ResID_Value=mine) for mine in mine_all),
                )
            )
        )
        for theirs, mine_all in ours or []
    ]
    parts = [E.Success(), *([E.HotelReservations(*reservations)] if reservations else [])]
    result = maker(header, *parts)
    return result
