"""A chain's member rate is sold only to members: at the desk (API and form), in the booking engine
and on a booking whose plan changes; a refusal is clear, in the guest's language, and leaves nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cloud.channels import bookings
from cloud.channels.errors import ChannelInvalid
from cloud.channels.models import Channel
from cloud.channels.ota.res_messages import ChannelBooking
from cloud.guests.models import Guest
from cloud.reservations.models import Reservation
from tests.cloud.loyalty.chain import Chain
from tests.cloud.loyalty.promotions import book_online, guest, promotion
from tests.cloud.loyalty.stays import book

MEMBERS = {
    "code": "members",
    "kind": "member_rate",
    "names": {"en": "Member rate", "es": "Tarifa de socio", "zh": "会员价"},
    "base_plan": "flex",
    "room_types": ["std"],
    "price_rule": "percent_off",
    "price_value": 10,
    "stay_from": "2027-04-01",
    "stay_until": "2027-07-01",
}
STAY = {"arrival": "2027-04-12", "departure": "2027-04-14"}


def reservations(chain: Chain) -> tuple[int, int]:
    """How many reservations and guest profiles there are."""
    with chain.app.services.sessions() as session:
        held = session.scalar(select(func.count()).select_from(Reservation)) or 0
        return int(held), int(session.scalar(select(func.count()).select_from(Guest)) or 0)


def test_the_member_rate_is_sold_only_to_members_by_every_path(chain: Chain) -> None:
    promotion(chain, {**MEMBERS, "sites": ["hotel"]})
    first = book(
        chain,
        "front_desk-hotel",
        "hotel",
        arrival=date(2027, 3, 1),
        nights=1,
        guest_name="Mia Member",
        guest_email="mia.member@example.com",
    )
    chain.call(
        "front_desk-hotel", "POST", "/api/v1/loyalty/members", 201, json={"guest_id": first["guest_id"]}
    )
    body = {
        "room_type": "std",
        "rate_plan": "~members",
        **STAY,
        "guest_name": "Mia Member",
        "guest_email": "mia.member@example.com",
    }
    sold = chain.call("front_desk-hotel", "POST", "/api/v1/properties/hotel/reservations", 201, json=body)
    assert sold["guest_id"] == first["guest_id"]

    before = reservations(chain)
    refused = chain.call(
        "front_desk-hotel",
        "POST",
        "/api/v1/properties/hotel/reservations",
        422,
        json={**body, "guest_name": "Nora None", "guest_email": "nora.none@example.com"},
    )
    assert refused["type"] == "/problems/loyalty/member-rate"
    assert "only to loyalty members" in refused["detail"]
    assert reservations(chain) == before  # and no profile was left behind for her

    # the booking engine: a member's email books it, anyone else reads why not, in their language
    visitor = guest(chain, "203.0.113.41")
    page = book_online(visitor, plan="~members", stay=STAY, email="nora.none@example.com", name="Nora None")
    assert page.status_code == 422 and 'id="member-rate"' in page.text
    assert reservations(chain) == before
    ok = book_online(
        guest(chain, "203.0.113.42"),
        plan="~members",
        stay=STAY,
        email="mia.member@example.com",
        name="Mia Member",
    )
    assert ok.status_code == 303


def test_the_desk_form_refuses_the_member_rate_in_the_staff_member_s_language(chain: Chain) -> None:
    before = reservations(chain)
    desk = chain.client("front_desk-hotel")
    desk.headers["Accept-Language"] = "es"
    page = desk.post(
        "/reservations/new?site=hotel",
        data={
            "room_type": "std",
            "rate_plan": "~members",
            **STAY,
            "adults": "1",
            "children": "0",
            "guest_name": "Otto Outsider",
            "guest_email": "otto@example.com",
            "guest_phone": "",
            "guest_language": "",
            "notes": "",
            "floor": "",
            "view": "",
            "accessible": "",
        },
    )
    assert page.status_code == 422, page.text
    assert "solo se vende a los socios" in page.text
    assert reservations(chain) == before


def test_a_channel_reservation_on_the_member_rate_for_a_non_member_is_refused_whole(chain: Chain) -> None:
    channels = "/api/v1/properties/annex/channels"
    promotion(chain, {**MEMBERS, "code": "members2", "sites": ["annex"]})
    chain.call(
        "manager-annex",
        "POST",
        channels,
        201,
        json={"code": "booking", "name": "Booking", "kind": "ota", "hotel_code": "BK-1", "markup_bp": 0},
    )
    chain.call(
        "manager-annex",
        "PUT",
        f"{channels}/booking/mappings",
        json={"room_type": "std", "rate_plan": "~members2", "room_code": "DBL", "rate_code": "MBR"},
    )
    fact = ChannelBooking(
        action="book",
        confirmation="BK-77",
        hotel_code="BK-1",
        room_code="DBL",
        rate_code="MBR",
        arrival=date(2027, 4, 12),
        departure=date(2027, 4, 14),
        guest_name="Carl Channel",
        guest_email="carl.channel@example.com",
        total=Decimal("180.00"),
        currency="EUR",
    )
    services = chain.app.services
    before = reservations(chain)
    with services.sessions() as session:
        channel = session.scalar(select(Channel).where(Channel.code == "booking"))
        assert channel is not None
        with pytest.raises(ChannelInvalid, match="only to loyalty members"):
            bookings.apply(
                session, channel, fact, now=chain.clock(), ledger=services.ledger, matcher=services.matcher
            )
        session.rollback()
    assert reservations(chain) == before
