"""A limited-use offer code raced on PostgreSQL: eight visitors post their booking at once with a
code good for three, and exactly three bookings are made, each with its use recorded."""

from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from cloud.catalog.models import RatePlan
from cloud.loyalty.promotions.models import OfferCode, OfferUse
from cloud.reservations.models import Reservation
from tests.cloud.loyalty.chain import chain_app
from tests.cloud.loyalty.promotions import WEEKEND, codes, guest, promotion

RACERS, USES = 8, 3
REFUSED = "This code cannot be used for this hotel and these dates."


def test_a_code_for_three_makes_exactly_three_bookings_when_eight_race(pg_url: str) -> None:
    with chain_app(pg_url) as chain:
        made = promotion(
            chain,
            {
                **WEEKEND,
                "code": "race",
                "code_only": True,
                "weekdays": None,
                "min_nights": 1,
                "extras": [],
                "sites": ["hotel"],
            },
        )
        (code,) = codes(chain, made["id"], max_uses=USES)
        stay = {
            "arrival": "2027-04-20",
            "departure": "2027-04-21",
            "adults": "2",
            "children": "0",
            "room_type": "std",
            "rate_plan": "~race",
        }
        forms, clients = [], []
        for n in range(RACERS):
            client = guest(chain, f"198.51.100.{100 + n}")
            page = client.get("/guest/hotel/book", params={**stay, "code": code})
            key = re.search(r'name="form_key" value="([^"]+)"', page.text)
            assert key is not None, page.text
            forms.append(
                {
                    **stay,
                    "form_key": key.group(1),
                    "guest_name": f"Racer {n}",
                    "offer_code": code,
                    "guest_email": f"racer{n}@example.com",
                    "guest_phone": "",
                    "pay": "deposit",
                }
            )
            clients.append(client)
        start = threading.Barrier(RACERS)
        answers: list[tuple[int, str]] = []

        def race(n: int) -> None:
            start.wait()
            answer = clients[n].post("/guest/hotel/book", data=forms[n])
            answers.append((answer.status_code, answer.text))

        threads = [threading.Thread(target=race, args=(n,)) for n in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(status for status, _ in answers) == [303] * USES + [422] * (RACERS - USES)
        assert all(REFUSED in text for status, text in answers if status == 422)
        with chain.app.services.sessions() as session:
            assert session.scalars(select(OfferCode)).one().uses == USES
            assert session.scalar(select(func.count()).select_from(OfferUse)) == USES
            sold = (
                select(func.count())
                .select_from(Reservation)
                .join(RatePlan, RatePlan.id == Reservation.rate_plan_id)
            )
            assert session.scalar(sold.where(RatePlan.code == "~race")) == USES
