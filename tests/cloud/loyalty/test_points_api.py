"""Membership and points over the API: enrolment across the chain, pending points, redemption,
cancellation, refusals, and what each property's staff may see."""

from __future__ import annotations

from datetime import date

from tests.cloud.loyalty.chain import Chain
from tests.cloud.loyalty.stays import book, stay

ANA = {"guest_name": "Ana Martín", "guest_email": "ana.martin@example.com"}


def test_a_member_earns_at_check_out_and_a_cancelled_booking_earns_nothing(chain: Chain) -> None:
    first = book(chain, "front_desk-hotel", "hotel", arrival=date(2027, 3, 2), nights=1, **ANA)
    member = chain.call(
        "front_desk-hotel", "POST", "/api/v1/loyalty/members", 201, json={"guest_id": first["guest_id"]}
    )
    assert (member["tier"], member["available"], member["pending"]) == ("member", 0, 0)
    second = book(chain, "front_desk-annex", "annex", arrival=date(2027, 3, 9), nights=2, **ANA)
    seen = chain.call("front_desk-annex", "GET", f"/api/v1/loyalty/guests/{second['guest_id']}/member")
    assert (
        seen["id"] == member["id"] and seen["pending"] == 2 * 100 + 180 * 10
    )  # one membership, two profiles
    assert [p["site"] for p in seen["profiles"]] == ["annex"]  # the hotel's profile is not theirs to see
    chain.call("front_desk-annex", "POST", f"/api/v1/reservations/{second['id']}/cancel", json={})
    done = stay(chain, "hotel", arrival=date(2027, 3, 16), nights=1, **ANA)
    after = chain.call("front_desk-hotel", "GET", f"/api/v1/loyalty/members/{member['id']}")
    assert (after["available"], after["pending"]) == (100 + 90 * 10, 0)
    entries = chain.call("front_desk-hotel", "GET", f"/api/v1/loyalty/members/{member['id']}/entries")
    assert [(e["kind"], e["points"]) for e in entries] == [
        ("pending", 2000),
        ("reverse", -2000),
        ("pending", 1000),
        ("confirm", -1000),
        ("earn", 1000),
    ]
    assert all(e["reservation_id"] for e in entries) and entries[-1]["reservation_id"] == done["id"]
    chain.call("front_desk-rival", "GET", f"/api/v1/loyalty/members/{member['id']}", 404)


def test_redemptions_are_refused_beyond_the_balance_outside_the_chain_or_the_staff_property(
    chain: Chain,
) -> None:
    res = book(
        chain,
        "front_desk-hotel",
        "hotel",
        arrival=date(2027, 4, 1),
        nights=1,
        guest_name="Iris Bauer",
        guest_phone="+49 170 1234567",
    )
    member = chain.call(
        "front_desk-hotel", "POST", "/api/v1/loyalty/members", 201, json={"guest_id": res["guest_id"]}
    )
    url = f"/api/v1/loyalty/members/{member['id']}/redemptions"
    body = {"site": "hotel", "kind": "night", "points": 1}
    chain.call("front_desk-hotel", "POST", url, 409, json=body)  # nothing available yet
    chain.call("front_desk-hotel", "POST", url, 403, json={**body, "site": "annex"})
    chain.call("front_desk-hotel", "POST", url, 422, json={**body, "points": -5})
    chain.call("front_desk-hotel", "POST", url, 422, json={**body, "kind": "spa", "extra": 1})
    chain.call("front_desk-rival", "POST", url, 403, json={**body, "site": "hotel"})
    chain.call("front_desk-rival", "POST", url, 404, json={**body, "site": "rival"})
    chain.call("front_desk-hotel", "POST", "/api/v1/loyalty/members", 404, json={"guest_id": "0" * 26})
    chain.call("front_desk-hotel", "GET", "/api/v1/loyalty/properties/hotel/settlement", 403)


def test_the_member_page_shows_balances_and_ledger_to_the_member_s_properties_only(chain: Chain) -> None:
    res = book(
        chain,
        "front_desk-annex",
        "annex",
        arrival=date(2027, 4, 12),
        nights=1,
        guest_name="Tomás Rey",
        guest_email="tomas@example.com",
    )
    member = chain.call(
        "front_desk-annex", "POST", "/api/v1/loyalty/members", 201, json={"guest_id": res["guest_id"]}
    )
    page = chain.client("front_desk-annex").get(f"/loyalty/members/{member['id']}")
    assert page.status_code == 200 and 'id="available">0<' in page.text and "No entries yet." in page.text
    assert chain.client("front_desk-rival").get(f"/loyalty/members/{member['id']}").status_code == 404
    assert chain.client("front_desk-annex").get("/loyalty/members/not-an-id").status_code == 422
