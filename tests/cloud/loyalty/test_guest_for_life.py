"""Done when: a guest through three stays at two hotels of a chain (earning, a review, a
redemption at the second hotel, a refund that takes points back) leaves the ledger, the tier,
both hotels' sub-ledgers and the guest's profiles agreeing to the point; staff of each hotel see
only their own guests. A campaign reaches only the opted-in guests of its segment, and a guest
who unsubscribes hears nothing more."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from cloud.loyalty.models import Entry, Lot
from cloud.loyalty.rules import tier_for
from cloud.notify.models import OutboxMessage
from tests.cloud.loyalty.campaign import campaign, marketing_messages, path_of, register
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


@pytest.mark.slow
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


def test_a_campaign_reaches_only_opted_in_guests_of_its_segment_and_an_unsubscribe_holds(
    chain: Chain,
) -> None:
    ids = register(chain)
    segment = chain.call(
        "manager-hotel",
        "POST",
        "/api/v1/marketing/segments",
        201,
        json={"name": "Spanish guests", "sites": ["hotel"], "countries": ["ES"]},
    )
    assert (segment["email_audience"], segment["whatsapp_audience"]) == (1, 1)
    first = campaign(chain, segment["id"], "Spring")
    sent = chain.call("manager-hotel", "POST", f"/api/v1/marketing/campaigns/{first['id']}/send")
    assert sent["sent"] == 1
    [message] = marketing_messages(chain)
    assert (message.recipient, message.language) == ("paula@example.com", "es")
    assert "Hola Paula Gil" in message.payload["text"] and "SPRING-27" in message.payload["text"]
    pixel = re.search(r'src="[^"]*(/guest/m/[0-9A-Z]+\.gif)"', message.payload["html"])
    assert pixel and chain.client("manager-hotel").get(pixel.group(1)).status_code == 200
    booked = book(
        chain,
        "front_desk-hotel",
        "hotel",
        arrival=date(2027, 7, 5),
        nights=2,
        guest_name="Paula Gil",
        guest_email="paula@example.com",
    )
    assert booked["guest_id"] == ids["paula"]
    results = chain.call("manager-hotel", "GET", f"/api/v1/marketing/campaigns/{first['id']}/results")
    assert (results["sent"], results["opened"], results["booked"], results["revenue_minor"]) == (
        1,
        1,
        1,
        booked["total_minor"],
    )
    unsubscribe_and_hear_nothing_more(chain, segment["id"], message)


def unsubscribe_and_hear_nothing_more(chain: Chain, segment_id: str, message: OutboxMessage) -> None:
    queued_before = campaign(chain, segment_id, "Summer")  # made before, sent after the unsubscribe
    assert message.payload["unsubscribe"].endswith("?lang=es")  # the page opens in the guest's language
    link = path_of(message.payload["unsubscribe"])
    anyone = chain.client("front_desk-rival")
    assert anyone.post(link[:-3] + "AAA").status_code == 404  # a tampered link stops no one
    assert "Darse de baja" in anyone.get(f"{link}?lang=es").text
    assert anyone.post(link).status_code == 200
    with chain.app.services.sessions() as session:
        assert session.get(OutboxMessage, message.id).status == "suppressed"  # queued, never sent
    again = chain.call("manager-hotel", "POST", f"/api/v1/marketing/campaigns/{queued_before['id']}/send")
    assert again["sent"] == 0 and len(marketing_messages(chain)) == 1
    chain.call("manager-hotel", "POST", f"/api/v1/marketing/campaigns/{queued_before['id']}/send", 409)
    chain.call("manager-annex", "GET", f"/api/v1/marketing/segments/{segment_id}", 404)
    chain.call(
        "front_desk-hotel", "POST", "/api/v1/marketing/segments", 403, json={"name": "x", "sites": ["hotel"]}
    )
    chain.call(
        "manager-hotel", "POST", "/api/v1/marketing/segments", 403, json={"name": "x", "sites": ["annex"]}
    )
