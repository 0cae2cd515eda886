"""ARI updates as OTA requests: availability, restrictions, rates (Overlay) and counts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from lxml import etree

from cloud.channels.credentials import Credentials
from cloud.channels.ota.xml import VERSION, E, q
from cloud.channels.port import AriItem, AriRange, AriUpdate, with_markup

ROOTS = {
    "availability": "OTA_HotelAvailNotifRQ",
    "restrictions": "OTA_HotelAvailNotifRQ",
    "rates": "OTA_HotelRateAmountNotifRQ",
    "counts": "OTA_HotelInvCountNotifRQ",
}


def amount(minor: int, decimals: int) -> str:
    return str(Decimal(minor).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals)))


def _header(echo: str, now: datetime) -> dict[str, str]:
    return {
        "EchoToken": echo,
        "TimeStamp": now.astimezone(UTC).isoformat(timespec="seconds"),
        "Version": VERSION,
    }


DAYS = ("Mon", "Tue", "Weds", "Thur", "Fri", "Sat", "Sun")  # OpenTravel's DOW_PatternGroup


def _control(item: AriItem, r: AriRange) -> etree._Element:
    attrs = {"Start": r.start.isoformat(), "End": r.end.isoformat(), "InvTypeCode": item.room_code}
    if item.rate_code is not None:
        attrs["RatePlanCode"] = item.rate_code
    if r.weekdays is not None:
        attrs.update({day: "true" if i in r.weekdays else "false" for i, day in enumerate(DAYS)})
    return E.StatusApplicationControl(attrs)


def _amounts(update: AriUpdate, item: AriItem, r: AriRange) -> list[etree._Element]:
    """One BaseByGuestAmt, or one per occupancy (NumberOfGuests) when the mapping prices them."""
    key = "AmountAfterTax" if update.after_tax else "AmountBeforeTax"
    base = r.value.price_minor or 0
    money = {"CurrencyCode": update.currency, "DecimalPlaces": str(update.decimals)}
    if item.occupancy is None:
        return [E.BaseByGuestAmt({key: amount(base, update.decimals), **money})]
    return [
        E.BaseByGuestAmt(
            {key: amount(with_markup(base, bp), update.decimals), "NumberOfGuests": str(guests), **money}
        )
        for guests, bp in item.occupancy
    ]


def pos(credentials: Credentials | None) -> list[etree._Element]:
    """``POS/Source/RequestorID`` when the channel gave us a requestor id (and password)."""
    if credentials is None or not credentials.requestor_id:
        return []
    attrs = {"ID": credentials.requestor_id}
    if credentials.requestor_type:
        attrs["Type"] = credentials.requestor_type
    if credentials.message_password:
        attrs["MessagePassword"] = credentials.message_password
    return [E.POS(E.Source(E.RequestorID(attrs)))]


def build(
    update: AriUpdate, *, echo: str, now: datetime, credentials: Credentials | None = None
) -> etree._Element:
    """The request carrying one update (the caller serializes it, which checks the schema)."""
    header = _header(echo, now)
    who = pos(credentials)
    if update.kind == "counts":
        return E.OTA_HotelInvCountNotifRQ(
            header,
            *who,
            E.Inventories(
                {"HotelCode": update.hotel_code},
                *(
                    E.Inventory(
                        _control(i, r), E.InvCounts(E.InvCount(CountType="2", Count=str(r.value.free)))
                    )
                    for i in update.items
                    for r in i.ranges
                ),
            ),
        )
    if update.kind == "rates":
        ranges = [(i, r) for i in update.items for r in i.ranges if r.value.price_minor is not None]
        return E.OTA_HotelRateAmountNotifRQ(
            {**header, "NotifType": "Overlay"},
            *who,
            E.RateAmountMessages(
                {"HotelCode": update.hotel_code},
                *(
                    E.RateAmountMessage(
                        _control(i, r),
                        E.Rates(E.Rate(E.BaseByGuestAmts(*_amounts(update, i, r)))),
                    )
                    for i, r in ranges
                ),
            ),
        )
    return E.OTA_HotelAvailNotifRQ(
        header,
        *who,
        E.AvailStatusMessages(
            {"HotelCode": update.hotel_code},
            *(
                E.AvailStatusMessage(_control(i, r), *_status(update, r))
                for i in update.items
                for r in i.ranges
            ),
        ),
    )


def _status(update: AriUpdate, r: AriRange) -> list[etree._Element]:
    v = r.value
    if update.kind == "availability":
        return [E.RestrictionStatus(Status="Open" if v.open else "Close", Restriction="Master")]
    stays = [
        E.LengthOfStay(MinMaxMessageType="SetMinLOS", Time=str(v.min_stay or 1), TimeUnit="Day"),
        E.LengthOfStay(MinMaxMessageType="SetMaxLOS", Time=str(v.max_stay or 0), TimeUnit="Day"),
    ]
    return [
        E.LengthsOfStay(*stays),
        E.RestrictionStatus(Status="Close" if v.closed_to_arrival else "Open", Restriction="Arrival"),
        E.RestrictionStatus(Status="Close" if v.closed_to_departure else "Open", Restriction="Departure"),
    ]


def response(root_name: str, *, echo: str, now: datetime, errors: list[str] | None = None) -> etree._Element:
    """The RS answering an RQ: Success, or Errors with one Error per reason (Type 3: business rule)."""
    maker = getattr(E, root_name.replace("RQ", "RS"))
    body = E.Errors(*(E.Error(text, Type="3") for text in errors)) if errors else E.Success()
    result: etree._Element = maker(_header(echo, now), body)
    return result


def errors_of(root: etree._Element) -> list[str]:
    """The errors an RS carries (empty: Success)."""
    return [(e.text or e.get("ShortText") or "error").strip() for e in root.iter(q("Error"))]
