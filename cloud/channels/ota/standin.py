"""A local stand-in for an OTA: takes ARI over HTTP, checks every message strictly, limits its rate.

Like the payment and messaging stand-ins, the demo, the tests and the bench run against it.
Every request is parsed with the hostile-input parser and validated against the schema; the
hotel code must be the one it was told; over ``per_minute`` calls in a sliding minute it
answers 429 with Retry-After. It also writes the reservations an OTA would send
(:func:`reservation`), so tests speak to our endpoint as a channel would.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lxml import etree

from cloud.channels.ota import ari_messages
from cloud.channels.ota.xml import VERSION, E, XmlRefused, parse, q, serialize

ARI_ROOTS = ("OTA_HotelAvailNotifRQ", "OTA_HotelRateAmountNotifRQ", "OTA_HotelInvCountNotifRQ")


@dataclass
class Received:
    at: float  # time.monotonic()
    root: str
    document: etree._Element


@dataclass
class StandInOta:
    hotel_code: str
    per_minute: int = 1000
    fail_next: int = 0  # answer this many requests with 503 first
    accepted: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    throttled: int = 0
    # the credentials it issued: every request must carry them (POS RequestorID and password,
    # and/or HTTP Basic or bearer, as the channel's API documents); None: not checked
    requestor: tuple[str, str | None] | None = None
    authorization: str | None = None  # the exact Authorization header expected
    unauthorized: int = 0
    on_accept: Callable[[Received], None] | None = None  # told of every accepted request
    _calls: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/ota"

    def start(self) -> StandInOta:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="ota-standin").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, body: bytes, authorization: str | None = None) -> tuple[int, dict[str, str], bytes]:
        if self.authorization is not None and not hmac.compare_digest(
            (authorization or "").encode(), self.authorization.encode()
        ):
            with self._lock:
                self.unauthorized += 1
            return 401, {"WWW-Authenticate": 'Basic realm="ari"'}, b"unauthorized"
        with self._lock:
            now = time.monotonic()
            while self._calls and now - self._calls[0] >= 60:
                self._calls.popleft()
            if len(self._calls) >= self.per_minute:
                self.throttled += 1
                wait = max(1, int(60 - (now - self._calls[0])) + 1)
                return 429, {"Retry-After": str(wait)}, b"rate limit"
            self._calls.append(now)
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, {}, b"unavailable"
        try:
            root = parse(body, expect=ARI_ROOTS, strict=True)
        except XmlRefused as exc:
            with self._lock:
                self.refused.append(str(exc))
            return 400, {}, str(exc).encode()
        name = etree.QName(root).localname
        errors = self._check(root)
        with self._lock:
            got = Received(time.monotonic(), name, root)
            if errors:
                self.refused.extend(errors)
            else:
                self.accepted.append(got)
        if not errors and self.on_accept is not None:
            self.on_accept(got)
        rs = ari_messages.response(
            name, echo=root.get("EchoToken", "x"), now=datetime.now(UTC), errors=errors
        )
        return 200, {"Content-Type": "application/xml"}, serialize(rs)

    def _check(self, root: etree._Element) -> list[str]:
        if self.requestor is not None:
            found = root.find(f"{q('POS')}/{q('Source')}/{q('RequestorID')}")
            given = None if found is None else (found.get("ID"), found.get("MessagePassword"))
            if given != self.requestor:
                with self._lock:
                    self.unauthorized += 1
                return ["authorization failed: unknown requestor or wrong message password"]
        codes = {el.get("HotelCode") for el in root.iter() if el.get("HotelCode") is not None}
        if codes != {self.hotel_code}:
            return [f"unknown hotel code {sorted(c or '' for c in codes)}"]
        for control in root.iter(q("StatusApplicationControl")):
            if control.get("End", "") < control.get("Start", ""):
                return ["End before Start"]
        return []


def _handler(ota: StandInOta) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, headers, body = ota.answer(self.rfile.read(length), self.headers.get("Authorization"))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

    return Handler


@dataclass(frozen=True)
class Room:
    """One room stay of a reservation the stand-in writes (amounts as decimal text, or None)."""

    room_code: str
    rate_code: str
    arrival: date
    departure: date
    adults: int = 2
    after_tax: str | None = "0.00"
    before_tax: str | None = None
    taxes: str | None = None  # the Taxes Amount the Total states
    nightly: tuple[tuple[date, str], ...] = ()  # per night: (night, amount after tax)
    index: int | None = None  # the IndexNumber; None: none sent
    cancelled: bool = False  # RoomStayStatus="Cancelled": this room only


def _room_stay(room: Room, currency: str) -> Any:
    attrs = {"IndexNumber": str(room.index)} if room.index is not None else {}
    if room.cancelled:
        attrs["RoomStayStatus"] = "Cancelled"
    stated = (("AmountBeforeTax", room.before_tax), ("AmountAfterTax", room.after_tax))
    amounts = {k: v for k, v in stated if v is not None}
    taxes = [E.Taxes(Amount=room.taxes, CurrencyCode=currency)] if room.taxes is not None else []
    rates = []
    if room.nightly:
        rates.append(
            E.RoomRates(
                E.RoomRate(
                    E.Rates(
                        *(
                            E.Rate(
                                E.Base(AmountAfterTax=amount, CurrencyCode=currency),
                                EffectiveDate=night.isoformat(),
                                ExpireDate=(night + timedelta(days=1)).isoformat(),
                            )
                            for night, amount in room.nightly
                        )
                    ),
                    RoomTypeCode=room.room_code,
                    RatePlanCode=room.rate_code,
                )
            )
        )
    return E.RoomStay(
        E.RoomTypes(E.RoomType(RoomTypeCode=room.room_code)),
        E.RatePlans(E.RatePlan(RatePlanCode=room.rate_code)),
        *rates,
        E.GuestCounts(E.GuestCount(AgeQualifyingCode="10", Count=str(room.adults))),
        E.TimeSpan(Start=room.arrival.isoformat(), End=room.departure.isoformat()),
        E.Total(*taxes, **amounts, CurrencyCode=currency),
        **attrs,
    )


def reservation(
    *,
    hotel_code: str,
    confirmation: str,
    status: str = "Book",
    room_code: str = "",
    rate_code: str = "",
    arrival: date | None = None,
    departure: date | None = None,
    adults: int = 2,
    total: str = "0.00",
    currency: str = "EUR",
    surname: str = "Guest",
    given: str = "Ada",
    modify: bool = False,
    echo: str = "res-1",
    rooms: tuple[Room, ...] = (),
) -> bytes:
    """A reservation message as an OTA would send it (Book, Modify or Cancel): one room from
    ``room_code`` ... ``total``, or the room stays in ``rooms``."""
    parts: list[Any] = []
    if status != "Cancel":
        if not rooms:
            assert arrival is not None and departure is not None
            rooms = (Room(room_code, rate_code, arrival, departure, adults=adults, after_tax=total),)
        parts.append(E.RoomStays(*(_room_stay(room, currency) for room in rooms)))
        parts.append(
            E.ResGuests(
                E.ResGuest(
                    E.Profiles(
                        E.ProfileInfo(
                            E.Profile(E.Customer(E.PersonName(E.GivenName(given), E.Surname(surname))))
                        )
                    )
                )
            )
        )
    parts.append(
        E.ResGlobalInfo(
            E.HotelReservationIDs(E.HotelReservationID(ResID_Type="16", ResID_Value=confirmation))
        )
    )
    parts.append(E.BasicPropertyInfo(HotelCode=hotel_code))
    header = {
        "EchoToken": echo,
        "TimeStamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "Version": VERSION,
    }
    if modify:
        root = E.OTA_HotelResModifyNotifRQ(
            header, E.HotelResModifies(E.HotelResModify(*parts, ResStatus=status))
        )
    else:
        root = E.OTA_HotelResNotifRQ(
            header, E.HotelReservations(E.HotelReservation(*parts, ResStatus=status))
        )
    return serialize(root)
