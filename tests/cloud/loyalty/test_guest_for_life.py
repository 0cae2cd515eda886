"""Done when: a guest through three stays at two hotels of a chain (earning, a review, a
redemption at the second hotel, a refund that takes points back) leaves the ledger, the tier,
both hotels' sub-ledgers and the guest's profiles agreeing to the point; staff of each hotel see
only their own guests."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import func, select

from cloud.loyalty.models import Entry, Lot
from cloud.loyalty.rules import tier_for
from cloud.notify.models import OutboxMessage
from tests.cloud.loyalty.chain import Chain
from tests.cloud.loyalty.stays import book, check_in, check_out

ANA = {"guest_name": "Ana Lucía Torres", "guest_email": "ana.torres@example.com", "guest_language": "es"}


def survey_token(chain: Chain, reservation_id: str) -> str:
    with chain.app.services.sessions() as session:
        message = session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"survey:post_stay:{reservation_id}")
        )
    assert message is not None and message.recipient == ANA["guest_email"]
    found = re.search(r"/survey/([A-Za-z0-9_-]+)\?", message.payload["text"])
    assert found
    return found.group(1)


def pay_and_refund(chain: Chain, res: dict[str, Any], *, paid: str, refunded: str) -> None:
    desk = "front_desk-hotel"
    folio = chain.call(desk, "GET", f"/api/v1/reservations/{res['id']}/folio")
    payment = chain.call(
        desk,
        "POST",
        f"/api/v1/folios/{folio['id']}/payments",
        201,
        json={"amount": {"amount": paid, "currency": "EUR"}, "method": "cash", "stage": "check_out"},
        headers={"Idempotency-Key": f"pay-{res['id']}"},
    )
    check_out(chain, "hotel", res)
    chain.call(
        desk,
        "POST",
        f"/api/v1/payments/{payment['id']}/refunds",
        201,
        json={"amount": {"amount": refunded, "currency": "EUR"}},
        headers={"Idempotency-Key": f"refund-{res['id']}"},
    )


def three_stays(chain: Chain) -> dict[str, Any]:
    first = book(chain, "front_desk-hotel", "hotel", arrival=date(2027, 6, 1), nights=2, **ANA)
    member = chain.call(
        "front_desk-hotel", "POST", "/api/v1/loyalty/members", 201, json={"guest_id": first["guest_id"]}
    )
    check_in(chain, "hotel", first)
    check_out(chain, "hotel", first, settle="bill_later")  # 2 nights, 180 EUR: 2,000 points
    chain.call(
        "front_desk-hotel",
        "POST",
        f"/api/v1/loyalty/surveys/{survey_token(chain, first['id'])}/answer",
        201,
        json={"scores": {"overall": 5, "reception": 4}, "comment": "Muy amables"},
    )  # 50 points
    second = book(chain, "front_desk-annex", "annex", arrival=date(2027, 6, 9), nights=1, **ANA)
    check_in(chain, "annex", second)
    redeemed = chain.call(
        "front_desk-annex",
        "POST",
        f"/api/v1/loyalty/members/{member['id']}/redemptions",
        201,
        json={"site": "annex", "kind": "night", "points": 1500, "reservation_id": second["id"]},
    )
    assert redeemed["available_after"] == 550
    check_out(chain, "annex", second, settle="bill_later")  # 1 night, 90 EUR: 1,000 points
    third = book(chain, "front_desk-hotel", "hotel", arrival=date(2027, 6, 21), nights=2, **ANA)
    check_in(chain, "hotel", third)
    pay_and_refund(chain, third, paid="270.00", refunded="100.00")  # 2,900 points, then 1,000 back
    return {"member": member, "stays": (first, second, third)}


def test_a_guest_for_life_across_two_hotels_agrees_everywhere_to_the_point(chain: Chain) -> None:
    run = three_stays(chain)
    member_id, (first, second, third) = run["member"]["id"], run["stays"]
    member = chain.call("chain-admin", "GET", f"/api/v1/loyalty/members/{member_id}")
    assert (member["available"], member["pending"], member["qualifying"]) == (3450, 0, 4950)
    assert member["tier"] == tier_for(4950).code == "silver" and member["points_to_next_tier"] == 1050
    with chain.app.services.sessions() as session:
        by_bucket = dict(
            session.execute(
                select(Entry.bucket, func.sum(Entry.points))
                .where(Entry.member_id == member_id)
                .group_by(Entry.bucket)
            ).all()
        )
        held = session.scalar(select(func.sum(Lot.remaining)).where(Lot.member_id == member_id))
    assert by_bucket == {"available": 3450, "pending": 0} and held == 3450
    entries = chain.call("chain-admin", "GET", f"/api/v1/loyalty/members/{member_id}/entries")
    assert all(e["reservation_id"] or e["action"].startswith("survey:") for e in entries)
    refund = [e for e in entries if e["action"].startswith("refund:")]
    assert [(e["points"], e["reservation_id"]) for e in refund] == [(-1000, third["id"])]
    hotel = chain.call("manager-hotel", "GET", "/api/v1/loyalty/properties/hotel/settlement")
    annex = chain.call("manager-annex", "GET", "/api/v1/loyalty/properties/annex/settlement")
    assert (hotel["issued"], hotel["reversed"], hotel["redeemed_elsewhere"], hotel["outstanding"]) == (
        4950,
        1000,
        1500,
        2450,
    )
    assert (annex["issued"], annex["honoured_for_others"], annex["outstanding"]) == (1000, 1500, 1000)
    assert hotel["outstanding"] + annex["outstanding"] == member["available"]
    assert (hotel["net_value_minor"], annex["net_value_minor"]) == (-1500, 1500)  # the hotel pays the annex
    profiles = {p["site"]: p["guest_id"] for p in member["profiles"]}
    assert profiles == {"hotel": first["guest_id"], "annex": second["guest_id"]}
    at_hotel = chain.call("front_desk-hotel", "GET", f"/api/v1/guests/{first['guest_id']}")
    assert (at_hotel["guest"]["stays_count"], at_hotel["spend"]) == (2, {"EUR": 18000 + 27000})
    assert third["guest_id"] == first["guest_id"]
    at_annex = chain.call("front_desk-annex", "GET", f"/api/v1/guests/{second['guest_id']}")
    assert (at_annex["guest"]["stays_count"], at_annex["guest"]["email"]) == (1, ANA["guest_email"])
    staff_see_only_their_guests(chain, member_id, first["guest_id"], second["guest_id"])


def staff_see_only_their_guests(chain: Chain, member_id: str, hotel_guest: str, annex_guest: str) -> None:
    seen = chain.call("front_desk-annex", "GET", f"/api/v1/loyalty/members/{member_id}")
    assert [p["site"] for p in seen["profiles"]] == ["annex"]
    chain.call("front_desk-annex", "GET", f"/api/v1/guests/{hotel_guest}", 404)
    chain.call("front_desk-hotel", "GET", f"/api/v1/guests/{annex_guest}", 404)
    chain.call("front_desk-rival", "GET", f"/api/v1/loyalty/members/{member_id}", 404)
    chain.call("manager-annex", "GET", "/api/v1/loyalty/properties/hotel/settlement", 403)
