"""Every stay belongs to a guest: desk, channel and booking-engine bookings find their profile."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.cloud.loyalty.chain import Chain


def book(chain: Chain, who: str, site: str, **guest: Any) -> dict[str, Any]:
    body = {
        "room_type": "std",
        "rate_plan": "flex",
        "arrival": "2027-04-05",
        "departure": "2027-04-06",
        **guest,
    }
    answer: dict[str, Any] = chain.call(
        who, "POST", f"/api/v1/properties/{site}/reservations", 201, json=body
    )
    return answer


def test_desk_bookings_match_by_email_or_phone_and_leave_name_only_matches_to_merging(chain: Chain) -> None:
    first = book(chain, "front_desk-hotel", "hotel", guest_name="Lin Wei", guest_email="lin@example.com")
    again = book(chain, "front_desk-hotel", "hotel", guest_name="Wei Lin", guest_email="LIN@example.com")
    by_phone = book(chain, "front_desk-hotel", "hotel", guest_name="L. Wei", guest_phone="+34 600 111 222")
    phone_again = book(chain, "front_desk-hotel", "hotel", guest_name="Lin", guest_phone="+34600111222")
    namesake = book(chain, "front_desk-hotel", "hotel", guest_name="Lin Wei")
    assert first["guest_id"] and again["guest_id"] == first["guest_id"]
    assert phone_again["guest_id"] == by_phone["guest_id"] != first["guest_id"]
    assert namesake["guest_id"] not in (first["guest_id"], by_phone["guest_id"])
    profile = chain.call("front_desk-hotel", "GET", f"/api/v1/guests/{namesake['guest_id']}")
    assert first["guest_id"] in [d["id"] for d in profile["duplicates"]]  # the merge flow offers it


def test_a_profile_is_per_property_and_other_staff_cannot_see_it(chain: Chain) -> None:
    here = book(chain, "front_desk-hotel", "hotel", guest_name="Omar Haddad", guest_email="omar@example.com")
    there = book(chain, "front_desk-annex", "annex", guest_name="Omar Haddad", guest_email="omar@example.com")
    assert here["guest_id"] != there["guest_id"]
    chain.call("front_desk-annex", "GET", f"/api/v1/guests/{here['guest_id']}", 404)
    chain.call("front_desk-rival", "GET", f"/api/v1/guests/{there['guest_id']}", 404)


def test_a_malformed_contact_still_links_the_stay_to_a_profile_by_name(chain: Chain) -> None:
    from cloud.loyalty.guest_link import RegistryMatcher
    from cloud.reservations.sales.booking import Booking

    matcher = RegistryMatcher(chain.app.services.guests.vault)
    request = Booking(
        property="hotel",
        room_type="std",
        rate_plan="flex",
        arrival=date(2027, 4, 5),
        departure=date(2027, 4, 6),
        guest_name="Zoe Quinn",
        guest_email="not an email",
    )
    with chain.app.services.sessions.begin() as session:
        linked = matcher.attach(session, request)
        assert linked.guest_id is not None and linked.guest_email == "not an email"
        assert matcher.attach(session, linked) is linked
