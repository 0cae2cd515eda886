"""Membership and points over the API: enrolment across the chain, pending points, redemption,
cancellation, refusals, and what each property's staff may see."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from cloud.guests import registry
from cloud.loyalty import expiry, membership
from tests.cloud.loyalty.chain import Chain, Clock
from tests.cloud.loyalty.stays import book, check_in, check_out, stay

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


def test_a_chain_sets_its_own_earning_rules_which_check_out_follows(chain: Chain) -> None:
    url = "/api/v1/loyalty/chains/acme/rules"
    assert chain.call("manager-hotel", "GET", url)["per_night"] == 100
    chain.call("manager-hotel", "PUT", url, 403, json={"per_night": 300})
    chain.call("chain-admin", "PUT", url, 422, json={"per_night": -1})
    chain.call("chain-admin", "PUT", url, 422, json={"per_night": 300, "bogus": 1})
    chain.call("chain-admin", "PUT", "/api/v1/loyalty/chains/other/rules", 404, json={"per_night": 300})
    chain.call("manager-rival", "GET", url, 404)
    assert chain.call("chain-admin", "PUT", url, json={"per_night": 300})["per_night"] == 300
    try:
        member_id = enrolled_stay(chain, "hotel", date(2027, 5, 3), name="Eva Lund")
        member = chain.call("front_desk-hotel", "GET", f"/api/v1/loyalty/members/{member_id}")
        assert member["available"] == 300 + 90 * 10
    finally:
        chain.call("chain-admin", "PUT", url, json={})


def enrolled_stay(chain: Chain, site: str, arrival: date, *, name: str) -> str:
    """A one-night stay of a guest enrolled when booking; their membership."""
    email = name.lower().replace(" ", ".") + "@example.com"
    chain.clock.at(datetime.combine(arrival, time(8), tzinfo=UTC) - timedelta(days=1))
    res = book(
        chain, f"front_desk-{site}", site, arrival=arrival, nights=1, guest_name=name, guest_email=email
    )
    with chain.app.services.sessions.begin() as session:
        member_id = membership_of(session, res["guest_id"])
    check_in(chain, site, res)
    check_out(chain, site, res, settle="bill_later")
    return member_id


def membership_of(session: Session, guest_id: str) -> str:
    """Enrol the profile (as the desk would) and name its membership."""
    return membership.enroll(session, actor="test", guest=registry.load(session, guest_id)).id


def test_a_redemption_credits_the_stay_s_folio_and_its_reversal_takes_it_back(chain: Chain) -> None:
    member_id = enrolled_stay(chain, "hotel", date(2027, 5, 10), name="Kai Moreau")
    held = chain.call("front_desk-hotel", "GET", f"/api/v1/loyalty/members/{member_id}")["available"]
    assert held == 100 + 90 * 10
    res = book(
        chain,
        "front_desk-annex",
        "annex",
        arrival=date(2027, 5, 24),
        nights=1,
        guest_name="Kai Moreau",
        guest_email="kai.moreau@example.com",
    )
    check_in(chain, "annex", res)
    url = f"/api/v1/loyalty/members/{member_id}/redemptions"
    body = {
        "site": "annex",
        "kind": "service",
        "points": 700,
        "reservation_id": res["id"],
        "service_kind": "spa",
    }
    chain.call("front_desk-annex", "POST", url, 422, json={**body, "service_kind": "casino"})
    done = chain.call("front_desk-annex", "POST", url, 201, json=body)
    assert done["folio_charge_id"] and done["available_after"] == held - 700
    folio = chain.call("front_desk-annex", "GET", f"/api/v1/reservations/{res['id']}/folio")
    credit = next(c for c in folio["charges"] if c["id"] == done["folio_charge_id"])
    assert (credit["kind"], credit["discount"], credit["gross_minor"]) == ("spa", True, -700)
    before = chain.call("manager-annex", "GET", "/api/v1/loyalty/properties/annex/settlement")
    back = f"{url}/{done['id']}/reverse"
    chain.call("front_desk-rival", "POST", back, 404)
    chain.call("front_desk-hotel", "POST", back, 403)  # undone where it was redeemed
    undone = chain.call("front_desk-annex", "POST", back)
    assert undone["reversed_at"] and undone["available_after"] == held
    assert chain.call("front_desk-annex", "POST", back)["available_after"] == held  # once
    after = chain.call("manager-annex", "GET", "/api/v1/loyalty/properties/annex/settlement")
    assert after["honoured_for_others"] == before["honoured_for_others"] - 700
    folio = chain.call("front_desk-annex", "GET", f"/api/v1/reservations/{res['id']}/folio")
    assert sum(c["gross_minor"] for c in folio["charges"] if c["kind"] == "spa") == 0
    entries = chain.call("front_desk-annex", "GET", f"/api/v1/loyalty/members/{member_id}/entries")
    assert [e["points"] for e in entries if e["action"] == f"unredeem:{done['id']}"] == [700]
    page = chain.client("front_desk-annex").get(
        f"/loyalty/members/{member_id}", headers={"Accept-Language": "es"}
    )
    assert "Canjeado" in page.text and "Anulado" not in page.text and ">redeem<" not in page.text


def test_lots_past_their_last_day_expire_on_schedule_once(chain: Chain) -> None:
    member_id = enrolled_stay(chain, "annex", date(2027, 6, 1), name="Ines Prat")
    lots = chain.call("front_desk-annex", "GET", f"/api/v1/loyalty/members/{member_id}/lots")
    last_day = max(date.fromisoformat(lot["expires_on"]) for lot in lots)
    later = Clock(datetime.combine(last_day + timedelta(days=1), time(3), tzinfo=UTC))
    sessions = chain.app.services.sessions
    assert expiry.run(sessions, clock=later) >= 100
    assert expiry.run(sessions, clock=later) == 0  # a second round finds nothing left
    member = chain.call("front_desk-annex", "GET", f"/api/v1/loyalty/members/{member_id}")
    assert member["available"] == 0
    entries = chain.call("front_desk-annex", "GET", f"/api/v1/loyalty/members/{member_id}/entries")
    assert [e["kind"] for e in entries][-1] == "expire" and all(
        e["action"].startswith("expiry:") for e in entries if e["kind"] == "expire"
    )
