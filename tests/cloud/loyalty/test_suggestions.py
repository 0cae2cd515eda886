"""Recommendations from the records: the desk sees what a guest is likely to want, and why."""

from __future__ import annotations

from datetime import date

from tests.cloud.loyalty.chain import Chain
from tests.cloud.loyalty.promotions import book_online, guest
from tests.cloud.loyalty.stays import book, stay

LEO = {"guest_name": "Leo Braun", "guest_email": "leo.braun@example.com", "preferences": {"floor": "high"}}


def test_the_desk_sees_a_guest_s_habits_on_the_stay_page_and_over_the_api(chain: Chain) -> None:
    stay(chain, "hotel", arrival=date(2027, 10, 4), nights=1, **LEO)
    stay(chain, "annex", arrival=date(2027, 10, 11), nights=1, **LEO)
    member = chain.call(
        "front_desk-annex",
        "POST",
        "/api/v1/loyalty/members",
        201,
        json={
            "guest_id": book(
                chain,
                "front_desk-annex",
                "annex",
                arrival=date(2027, 10, 20),
                nights=1,
                guest_name="Leo Braun",
                guest_email="leo.braun@example.com",
            )["guest_id"]
        },
    )
    assert member["tier"] == "member"
    nxt = book(
        chain,
        "front_desk-hotel",
        "hotel",
        arrival=date(2027, 10, 25),
        nights=1,
        guest_name="Leo Braun",
        guest_email="leo.braun@example.com",
    )
    # the hotel's booking found the hotel profile, which joined the membership by its email
    linked = chain.call("front_desk-hotel", "GET", f"/api/v1/loyalty/guests/{nxt['guest_id']}/member")
    assert linked["id"] == member["id"]
    again = chain.call(
        "front_desk-hotel", "POST", "/api/v1/loyalty/members", 201, json={"guest_id": nxt["guest_id"]}
    )
    assert again["id"] == member["id"]
    found = chain.call("front_desk-hotel", "GET", f"/api/v1/loyalty/guests/{nxt['guest_id']}/recommendations")
    floor = next(s for s in found if s["item"] == "pref:floor=high")
    assert (floor["own"], floor["stays"]) == (2, 2)  # one person across the chain: both hotels' stays
    page = chain.client("front_desk-hotel").get(f"/reservations/{nxt['id']}")
    assert page.status_code == 200 and "pref:floor=high" in page.text and "2 of 2" in page.text
    chain.call("front_desk-rival", "GET", f"/api/v1/loyalty/guests/{nxt['guest_id']}/recommendations", 404)


def test_the_booking_engine_shows_a_returning_guest_what_they_like_and_nobody_else(chain: Chain) -> None:
    stay(
        chain,
        "hotel",
        arrival=date(2027, 11, 1),
        nights=1,
        guest_name="Mia Roth",
        guest_email="mia.roth@example.com",
    )
    when = {"arrival": "2027-11-15", "departure": "2027-11-16"}
    mia = guest(chain, "203.0.113.40")
    booked = book_online(mia, plan="flex", stay=when, email="mia.roth@example.com", name="Mia Roth")
    assert booked.status_code == 303, booked.text
    ref = booked.headers["location"].split("/stay/")[1].split("?")[0]
    page = mia.get(f"/guest/hotel/stay/{ref}", params={"lang": "es"})
    assert 'id="for-you"' in page.text and "Doble estándar" in page.text  # her room type, in her language
    assert 'id="for-you"' in mia.get("/guest/hotel", params={"for": ref}).text  # before any dates too
    search = mia.get("/guest/hotel", params={**when, "for": ref, "lang": "es"})
    assert "Elegido para usted" in search.text
    # a first-time guest, and a visitor with a damaged link, see the page as anyone does
    first = book_online(
        guest(chain, "203.0.113.41"), plan="flex", stay=when, email="new.one@example.com", name="New One"
    )
    first_ref = first.headers["location"].split("/stay/")[1].split("?")[0]
    assert 'id="for-you"' not in guest(chain, "203.0.113.41").get(f"/guest/hotel/stay/{first_ref}").text
    other = guest(chain, "203.0.113.42").get("/guest/hotel", params={**when, "for": ref[:-2] + "xx"})
    assert (
        other.status_code == 200 and 'id="for-you"' not in other.text and "Chosen for you" not in other.text
    )
