"""A promotion's prices are derived from the base plan when pushed and kept (a published offer does
not move under the guest); the manager sees since when and reprices from the current rates."""

from __future__ import annotations

from sqlalchemy import select, update

from cloud.auth.models import AuditEntry
from cloud.catalog.models import Property, RatePlan, RatePrice
from tests.cloud.loyalty.chain import Chain
from tests.cloud.loyalty.promotions import promotion

SUMMER = {
    "code": "summer",
    "kind": "seasonal",
    "names": {"en": "Summer", "es": "Verano", "zh": "夏季"},
    "base_plan": "flex",
    "room_types": ["std"],
    "price_rule": "amount_off",
    "price_value": 1000,
    "stay_from": "2027-08-01",
    "stay_until": "2027-09-01",
}
NIGHT = {"arrival": "2027-08-10", "departure": "2027-08-12"}  # two nights, 10.00 off each


def sell(chain: Chain, plan: str, name: str) -> int:
    body = {"room_type": "std", "rate_plan": plan, **NIGHT, "guest_name": name}
    res = chain.call("front_desk-hotel", "POST", "/api/v1/properties/hotel/reservations", 201, json=body)
    return int(res["total_minor"])


def test_promotion_prices_are_kept_until_the_manager_reprices_them(chain: Chain) -> None:
    made = promotion(chain, {**SUMMER, "sites": ["hotel"]})
    base = sell(chain, "flex", "Ada One")
    assert sell(chain, "~summer", "Ada Two") == base - 2000
    with chain.app.services.sessions.begin() as session:
        flex = session.scalar(
            select(RatePlan.id)
            .join(Property, Property.id == RatePlan.property_id)
            .where(Property.slug == "hotel", RatePlan.code == "flex")
        )
        session.execute(
            update(RatePrice)
            .where(RatePrice.rate_plan_id == flex)
            .values(amount_minor=RatePrice.amount_minor + 2000)
        )
    raised = sell(chain, "flex", "Ada Three")
    assert raised == base + 4000
    assert sell(chain, "~summer", "Ada Four") == base - 2000  # fixed at push, and said so
    page = chain.client("manager-hotel").get("/loyalty/promotions", headers={"Accept-Language": "es"})
    assert (
        "no siguen los cambios posteriores" in page.text
        and "Recalcular con las tarifas actuales" in page.text
    )

    chain.call(
        "front_desk-hotel", "POST", f"/api/v1/loyalty/promotions/{made['id']}/sites/hotel/reprice", 403
    )
    chain.call("manager-annex", "POST", f"/api/v1/loyalty/promotions/{made['id']}/sites/hotel/reprice", 403)
    done = chain.client("manager-hotel").post(
        f"/loyalty/promotions/{made['id']}/sites/hotel/reprice", follow_redirects=False
    )
    assert done.status_code == 303
    assert sell(chain, "~summer", "Ada Five") == raised - 2000
    with chain.app.services.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "promotion.reprice")).one()
        assert entry.detail["changed"] is True and entry.detail["site"] == "hotel"
    seen = chain.call("manager-hotel", "GET", f"/api/v1/loyalty/promotions/{made['id']}")
    assert seen["sites"][0]["priced_at"] is not None
