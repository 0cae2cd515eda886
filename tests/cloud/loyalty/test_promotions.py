"""Chain promotions end to end on one chain app: defined once at headquarters, pushed as a rate plan
of each chosen property, sold at the desk and in the booking engine, declined where the chain
allows; offer codes unlock code-only offers and are refused with one answer; package extras on the
folio; the promotion's points at check-out."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from cloud.billing.models import Charge, Folio
from cloud.loyalty.promotions.models import OfferCode, Promotion
from cloud.loyalty.promotions.terms import digest
from cloud.notify.models import OutboxMessage
from cloud.setup import service as setup
from tests.cloud.loyalty.chain import Chain
from tests.cloud.loyalty.promotions import WEEKEND, book_online, codes, guest, promotion
from tests.cloud.loyalty.stays import book, check_in, check_out

FRI_TO_SUN = {"arrival": "2027-03-05", "departure": "2027-03-07"}
REFUSED = "This code cannot be used for this hotel and these dates."


def test_a_weekend_package_is_defined_once_and_sold_at_each_property_it_was_pushed_to(chain: Chain) -> None:
    made = promotion(chain, {**WEEKEND, "sites": ["hotel", "annex"]})
    assert [(s["site"], s["state"], s["rate_plan"]) for s in made["sites"]] == [
        ("annex", "active", "~weekend"),
        ("hotel", "active", "~weekend"),
    ]
    seen = chain.call("front_desk-hotel", "GET", "/api/v1/loyalty/promotions")
    assert [p["code"] for p in seen] == ["weekend"] and [s["site"] for s in seen[0]["sites"]] == ["hotel"]
    assert chain.call("front_desk-rival", "GET", "/api/v1/loyalty/promotions") == []
    chain.call("front_desk-rival", "GET", f"/api/v1/loyalty/promotions/{made['id']}", 404)
    # the desk sells it like any plan: Friday and Saturday at 80 % of the flexible rate's weekend price
    res = chain.call(
        "front_desk-hotel",
        "POST",
        "/api/v1/properties/hotel/reservations",
        201,
        json={
            "room_type": "std",
            "rate_plan": "~weekend",
            **FRI_TO_SUN,
            "guest_name": "Lea Vogt",
            "guest_email": "lea.vogt@example.com",
        },
    )
    assert res["total_minor"] == 2 * 8800
    chain.call(
        "front_desk-hotel",
        "POST",
        "/api/v1/properties/hotel/reservations",
        422,
        json={
            "room_type": "std",
            "rate_plan": "~weekend",
            "arrival": "2027-03-05",
            "departure": "2027-03-08",
            "guest_name": "Lea Vogt",
        },
    )  # a Sunday night is not in the package
    # the booking engine lists it in the visitor's language, at the same price
    page = guest(chain).get("/guest/annex", params={**FRI_TO_SUN, "lang": "es"})
    assert 'data-rate-plan="~weekend"' in page.text and "Escapada de fin de semana" in page.text
    # and its channels sell it once the property maps the plan to a channel's rate
    channels = "/api/v1/properties/hotel/channels"
    chain.call(
        "manager-hotel",
        "POST",
        channels,
        201,
        json={"code": "expedia", "name": "Expedia", "kind": "ota", "hotel_code": "EXP-9", "markup_bp": 0},
    )
    chain.call(
        "manager-hotel",
        "PUT",
        f"{channels}/expedia/mappings",
        json={"room_type": "std", "rate_plan": "~weekend", "room_code": "DBL", "rate_code": "WKND"},
    )
    # the property's own document neither shows nor removes it
    with chain.app.services.sessions.begin() as session:
        document = setup.export(session, "hotel")
        assert "~weekend" not in {p.code for p in document.rate_plans}
        setup.apply(session, document, "test")
    assert (
        chain.call("front_desk-hotel", "GET", "/api/v1/loyalty/promotions")[0]["sites"][0]["state"]
        == "active"
    )


def test_a_property_declines_a_promotion_where_the_chain_allows_and_takes_it_back(chain: Chain) -> None:
    made = promotion(
        chain,
        {
            **WEEKEND,
            "code": "spring",
            "weekdays": None,
            "min_nights": 1,
            "extras": [],
            "sites": ["hotel", "annex"],
        },
    )
    url = f"/api/v1/loyalty/promotions/{made['id']}/sites/annex"
    chain.call("front_desk-annex", "PUT", url, 403, json={"state": "opted_out"})  # managers decide
    chain.call("manager-hotel", "PUT", url, 403, json={"state": "opted_out"})  # for their own property
    chain.call("manager-rival", "PUT", url, 403, json={"state": "opted_out"})
    out = chain.call("manager-annex", "PUT", url, json={"state": "opted_out"})
    assert [{k: s[k] for k in ("site", "state", "rate_plan")} for s in out["sites"]] == [
        {"site": "annex", "state": "opted_out", "rate_plan": "~spring"}
    ]
    body = {
        "room_type": "std",
        "rate_plan": "~spring",
        "arrival": "2027-03-10",
        "departure": "2027-03-11",
        "guest_name": "Pia Nowak",
    }
    chain.call("front_desk-annex", "POST", "/api/v1/properties/annex/reservations", 422, json=body)
    assert (
        'data-rate-plan="~spring"'
        not in guest(chain)
        .get("/guest/annex", params={"arrival": "2027-03-10", "departure": "2027-03-11"})
        .text
    )
    chain.call("manager-annex", "PUT", url, json={"state": "active"})
    chain.call("front_desk-annex", "POST", "/api/v1/properties/annex/reservations", 201, json=body)
    fixed = promotion(
        chain,
        {
            **WEEKEND,
            "code": "members",
            "kind": "member_rate",
            "opt_out": False,
            "weekdays": None,
            "min_nights": 1,
            "sites": ["annex"],
        },
    )
    chain.call(
        "manager-annex",
        "PUT",
        f"/api/v1/loyalty/promotions/{fixed['id']}/sites/annex",
        409,
        json={"state": "opted_out"},
    )
    withdrawn = chain.call("chain-admin", "POST", f"/api/v1/loyalty/promotions/{made['id']}/withdraw")
    assert withdrawn["status"] == "withdrawn" and {s["state"] for s in withdrawn["sites"]} == {"withdrawn"}
    chain.call(
        "front_desk-hotel",
        "POST",
        "/api/v1/properties/hotel/reservations",
        422,
        json={**body, "arrival": "2027-03-17", "departure": "2027-03-18"},
    )


def test_hostile_promotions_are_refused_whole(chain: Chain) -> None:
    with chain.app.services.sessions() as session:
        before = len(list(session.scalars(select(Promotion))))
    bad = [
        {**WEEKEND, "code": "x1", "price_value": 150},
        {**WEEKEND, "code": "x2", "stay_until": "2027-02-01"},
        {**WEEKEND, "code": "x3", "weekdays": [7]},
        {**WEEKEND, "code": "X Y"},
        {**WEEKEND, "code": "x4", "surprise": True},
        {**WEEKEND, "code": "x5", "extras": [{"item": "breakfast"}, {"item": "breakfast"}]},
    ]
    for body in bad:
        promotion(chain, body, 422)
    promotion(chain, {**WEEKEND, "code": "x6", "sites": ["rival"]}, 422)  # another chain's hotel
    promotion(chain, {**WEEKEND, "code": "x7", "base_plan": "nosuch", "sites": ["hotel"]}, 422)
    chain.call("manager-hotel", "POST", "/api/v1/loyalty/promotions", 403, json={**WEEKEND, "code": "x8"})
    with chain.app.services.sessions() as session:
        assert len(list(session.scalars(select(Promotion)))) == before  # nothing half-made


def test_an_offer_code_unlocks_its_offer_once_and_every_refusal_reads_the_same(chain: Chain) -> None:
    made = promotion(
        chain,
        {
            **WEEKEND,
            "code": "vip",
            "kind": "seasonal",  # a member rate would also need the visitor's membership
            "code_only": True,
            "weekdays": None,
            "min_nights": 1,
            "extras": [],
            "price_rule": "fixed",
            "price_value": 5000,
            "sites": ["hotel"],
        },
    )
    (single,) = codes(chain, made["id"])
    stay = {"arrival": "2027-04-06", "departure": "2027-04-08"}
    visitor = guest(chain, "198.51.100.1")
    assert 'data-rate-plan="~vip"' not in visitor.get("/guest/hotel", params=stay).text  # hidden
    opened = visitor.get("/guest/hotel", params={**stay, "code": single.lower().replace("-", " ")})
    assert 'id="offer-applied"' in opened.text and 'data-rate-plan="~vip"' in opened.text
    hidden = {**stay, "room_type": "std", "rate_plan": "~vip", "adults": "2"}
    assert (
        guest(chain, "198.51.100.9").get("/guest/hotel/book", params=hidden).status_code == 409
    )  # not without it
    first = book_online(visitor, plan="~vip", stay=stay, code=single)
    assert first.status_code == 303, first.text
    with chain.app.services.sessions() as session:
        assert session.scalars(select(OfferCode).where(OfferCode.promotion_id == made["id"])).one().uses == 1
    # used up, unknown, another hotel's, out of its dates, or no code at all: one answer
    (annex_code,) = codes(
        chain, promotion(chain, {**WEEKEND, "code": "annexonly", "code_only": True, "sites": ["annex"]})["id"]
    )
    attempts = [
        (single, "hotel", stay),
        ("ZZZZZ-ZZZZZ", "hotel", stay),
        (annex_code, "hotel", stay),
        (single, "hotel", {"arrival": "2027-07-06", "departure": "2027-07-08"}),
    ]
    answers = set()
    for code, site, when in attempts:
        page = guest(chain, "198.51.100.2").get(f"/guest/{site}", params={**when, "code": code})
        assert 'data-rate-plan="~vip"' not in page.text
        answers.add(page.text.count(REFUSED))
    assert answers == {1}
    refused = book_online(
        guest(chain, "198.51.100.3"), plan="~vip", stay=stay, code=single, email="second@example.com"
    )
    assert refused.status_code == 422 and REFUSED in refused.text
    bare = book_online(guest(chain, "198.51.100.3"), plan="~vip", stay=stay, email="third@example.com")
    assert bare.status_code == 409  # without its code the offer reads as any plan not on sale
    for code in ("", single, "ZZZZZ-ZZZZZ"):  # a form posted straight, past the pages
        forged = guest(chain, "198.51.100.4").post(
            "/guest/hotel/book",
            data={
                **stay,
                "room_type": "std",
                "rate_plan": "~vip",
                "adults": "2",
                "children": "0",
                "form_key": f"forged-form-key-{len(code):04d}",
                "guest_name": "Forger",
                "guest_email": "forger@example.com",
                "pay": "deposit",
                "offer_code": code,
            },
        )
        assert forged.status_code == 422 and REFUSED in forged.text
    # a cancelled booking gives the use back
    reservation = first.headers["location"].split("/stay/")[1].split("?")[0]
    visitor.post(f"/guest/hotel/stay/{reservation}/cancel")
    with chain.app.services.sessions() as session:
        assert session.scalars(select(OfferCode).where(OfferCode.promotion_id == made["id"])).one().uses == 0


def test_offer_codes_are_rate_limited_per_address(chain: Chain) -> None:
    probe = guest(chain, "192.0.2.99")
    stay = {"arrival": "2027-04-13", "departure": "2027-04-14"}
    statuses = [
        probe.get("/guest/hotel", params={**stay, "code": f"GUESS{n:05d}"}).status_code for n in range(21)
    ]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    assert probe.get("/guest/hotel", params=stay).status_code == 200  # searching without a code goes on


def test_a_package_posts_its_extras_at_check_in_and_earns_its_points_at_check_out(chain: Chain) -> None:
    made = promotion(chain, {**WEEKEND, "code": "weekend2", "sites": ["hotel"]})
    assert made["extras"] == [{"item": "breakfast", "per": "night"}]
    res = book(
        chain,
        "front_desk-hotel",
        "hotel",
        arrival=date(2027, 3, 12),
        nights=2,
        guest_name="Ola Berg",
        guest_email="ola.berg@example.com",
    )
    chain.call("front_desk-hotel", "POST", "/api/v1/loyalty/members", 201, json={"guest_id": res["guest_id"]})
    chain.call("front_desk-hotel", "POST", f"/api/v1/reservations/{res['id']}/cancel", json={})
    res = chain.call(
        "front_desk-hotel",
        "POST",
        "/api/v1/properties/hotel/reservations",
        201,
        json={
            "room_type": "std",
            "rate_plan": "~weekend2",
            "arrival": "2027-03-12",
            "departure": "2027-03-14",
            "guest_name": "Ola Berg",
            "guest_email": "ola.berg@example.com",
        },
    )
    check_in(chain, "hotel", res)
    with chain.app.services.sessions() as session:
        posted = session.scalars(
            select(Charge).join(Folio, Folio.id == Charge.folio_id).where(Folio.reservation_id == res["id"])
        )
        lines = [c for c in posted if c.description.startswith("package:")]  # sealed: opened to be read
        assert sorted((c.kind, c.quantity, c.unit_minor, c.discount) for c in lines) == [
            ("restaurant", 2, 1400, False),
            ("restaurant", 2, 1400, True),
        ]
    check_out(chain, "hotel", res, settle="bill_later")
    member = chain.call("front_desk-hotel", "GET", f"/api/v1/loyalty/guests/{res['guest_id']}/member")
    spend = 2 * 8800 // 100 * 10
    assert member["available"] == (2 * 100 + spend) * 2 + 500  # double points and the bonus
    entries = chain.call("front_desk-hotel", "GET", f"/api/v1/loyalty/members/{member['id']}/entries")
    assert entries[-1]["action"] == "stay+weekend2"


def test_promotions_page_in_three_languages(chain: Chain) -> None:
    admin = chain.client("chain-admin")
    for lang, words in (("en", "New promotion"), ("es", "Nueva promoción"), ("zh", "新促销")):
        page = admin.get(
            "/loyalty/promotions", headers={"Accept-Language": "zh-Hans" if lang == "zh" else lang}
        )
        assert page.status_code == 200 and words in page.text, lang
    desk = chain.client("front_desk-hotel").get("/loyalty/promotions")
    assert desk.status_code == 200 and "New promotion" not in desk.text and "weekend" in desk.text


def test_a_birthday_campaign_gives_each_guest_a_code_of_their_own(chain: Chain) -> None:
    made = promotion(
        chain,
        {
            **WEEKEND,
            "code": "bday27",
            "kind": "birthday",
            "code_only": True,
            "weekdays": None,
            "min_nights": 1,
            "extras": [],
            "price_rule": "fixed",
            "price_value": 6000,
            "sites": ["hotel"],
        },
    )
    marta = chain.call(
        "front_desk-hotel",
        "POST",
        "/api/v1/guests",
        201,
        json={
            "name": "Marta Ríos",
            "email": "marta.rios@example.com",
            "birth_date": "1990-03-21",
            "language": "es",
        },
    )
    chain.call(
        "front_desk-hotel",
        "PUT",
        f"/api/v1/marketing/guests/{marta['id']}/consent",
        204,
        json={"email": True, "whatsapp": False},
    )
    segment = chain.call(
        "manager-hotel",
        "POST",
        "/api/v1/marketing/segments",
        201,
        json={"name": "March birthdays", "sites": ["hotel"], "birth_month": 3},
    )
    texts = {"en": {"subject": "Happy birthday", "body": "Happy birthday, {name}: a night on us."}}
    sent = chain.call(
        "manager-hotel",
        "POST",
        "/api/v1/marketing/campaigns",
        201,
        json={
            "segment_id": segment["id"],
            "name": "Birthdays",
            "channel": "email",
            "texts": texts,
            "offer_code": "BDAY27",
        },
    )
    chain.call("manager-hotel", "POST", f"/api/v1/marketing/campaigns/{sent['id']}/send")
    with chain.app.services.sessions() as session:
        texts_sent = [
            m.payload["text"]
            for m in session.scalars(select(OutboxMessage).where(OutboxMessage.template == "marketing_email"))
        ]
    personal = {c for text in texts_sent for c in re.findall(r"\b[A-Z2-9]{5}-[A-Z2-9]{5}\b", text)}
    assert len(personal) == len(texts_sent) >= 1 and all("BDAY27" not in t for t in texts_sent)
    stay = {"arrival": "2027-03-23", "departure": "2027-03-24"}
    with chain.app.services.sessions() as session:
        mine = next(
            c
            for c in personal
            if session.scalar(
                select(OfferCode.guest_id).where(
                    OfferCode.digest == digest(chain.app.services.settings.secret_key, c)
                )
            )
            == marta["id"]
        )
    stranger = book_online(
        guest(chain, "198.51.100.60"),
        plan="~bday27",
        stay=stay,
        code=mine,
        email="stranger@example.com",
        name="Someone Else",
    )
    assert stranger.status_code == 422 and REFUSED in stranger.text  # someone else's code
    own = book_online(
        guest(chain, "198.51.100.61"),
        plan="~bday27",
        stay=stay,
        code=mine,
        email="marta.rios@example.com",
        name="Marta Ríos",
    )
    assert own.status_code == 303, own.text
    results = chain.call("manager-hotel", "GET", f"/api/v1/marketing/campaigns/{sent['id']}/results")
    assert (results["booked_with_code"], results["revenue_with_code_minor"]) == (1, 6000)
    assert made["kind"] == "birthday"


def test_headquarters_defines_a_promotion_with_the_portal_s_form_and_a_manager_declines_it(
    chain: Chain,
) -> None:
    admin = chain.client("chain-admin")
    form = {
        "code": "autumn",
        "kind": "seasonal",
        "name_en": "Autumn",
        "name_es": "Otoño",
        "base_plan": "flex",
        "price_rule": "amount_off",
        "price_value": "1000",
        "stay_from": "2027-10-01",
        "stay_until": "2027-11-01",
        "min_nights": "1",
        "opt_out": "on",
        "multiplier_pct": "100",
        "bonus_points": "0",
        "sites": ["hotel", "annex"],
        "weekdays": ["5", "6"],
    }
    bad = admin.post("/loyalty/promotions", data={**form, "stay_until": "2027-09-01"}, follow_redirects=False)
    assert bad.status_code == 422 and 'id="error"' in bad.text and 'value="autumn"' in bad.text
    done = admin.post("/loyalty/promotions", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    made = next(
        p for p in chain.call("chain-admin", "GET", "/api/v1/loyalty/promotions") if p["code"] == "autumn"
    )
    assert (made["names"], made["weekdays"], [s["site"] for s in made["sites"]]) == (
        {"en": "Autumn", "es": "Otoño"},
        [5, 6],
        ["annex", "hotel"],
    )
    assert chain.client("manager-hotel").post("/loyalty/promotions", data=form).status_code == 403
    manager = chain.client("manager-annex")
    declined = manager.post(
        f"/loyalty/promotions/{made['id']}/sites/annex", data={"state": "opted_out"}, follow_redirects=False
    )
    assert declined.status_code == 303
    page = manager.get("/loyalty/promotions", headers={"Accept-Language": "es"})
    assert "Rechazada" in page.text and "Volver a ofrecerla" in page.text
    assert (
        chain.client("front_desk-annex")
        .post(f"/loyalty/promotions/{made['id']}/sites/annex", data={"state": "active"})
        .status_code
        == 403
    )
