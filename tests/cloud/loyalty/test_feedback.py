"""Surveys: a mid-stay check for longer stays, a survey after check-out in the guest's language,
scores per department, points for answering, and the manager told of a low score."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select

from cloud.notify.models import OutboxMessage
from tests.cloud.loyalty.chain import Chain
from tests.cloud.loyalty.stays import stay

LINK = re.compile(r"/guest/([a-z0-9-]+)/survey/([A-Za-z0-9_-]+)\?lang=([\w-]+)")


def queued(chain: Chain, template: str) -> list[OutboxMessage]:
    with chain.app.services.sessions() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == template).order_by(OutboxMessage.created_at)
        )
        return list(rows)


def link_in(message: OutboxMessage) -> tuple[str, str, str]:
    found = LINK.search(message.payload["text"])
    assert found, message.payload
    return found.group(1), found.group(2), found.group(3)


def test_a_guest_gets_a_mid_stay_check_and_a_survey_after_check_out_in_their_language(chain: Chain) -> None:
    guest = {"guest_name": "Marta Ruiz", "guest_email": "marta.ruiz@example.com", "guest_language": "es"}
    res = stay(chain, "hotel", arrival=date(2027, 5, 3), nights=3, **guest)
    member = chain.call(
        "front_desk-hotel", "POST", "/api/v1/loyalty/members", 201, json={"guest_id": res["guest_id"]}
    )
    mid = [m for m in queued(chain, "survey_mid_stay") if m.recipient == "marta.ruiz@example.com"]
    post = [m for m in queued(chain, "survey_post_stay") if m.recipient == "marta.ruiz@example.com"]
    assert len(mid) == len(post) == 1 and post[0].language == "es"
    assert mid[0].next_attempt_at.date() == date(2027, 5, 4) and "estancia" in post[0].payload["subject"]
    site, token, lang = link_in(post[0])
    assert (site, lang) == ("hotel", "es")
    page = chain.client("front_desk-hotel").get(f"/guest/{site}/survey/{token}?lang=es")
    assert page.status_code == 200 and "Recepción" in page.text
    scores = {"reception": 5, "housekeeping": 2, "overall": 4}
    answer = chain.call(
        "front_desk-hotel",
        "POST",
        f"/api/v1/loyalty/surveys/{token}/answer",
        201,
        json={"scores": scores, "comment": "La ducha goteaba"},
    )
    assert answer["low"] is True and answer["points"] == 50 and answer["comment"] == ""
    chain.call(
        "front_desk-hotel", "POST", f"/api/v1/loyalty/surveys/{token}/answer", 422, json={"scores": scores}
    )
    after = chain.call("front_desk-hotel", "GET", f"/api/v1/loyalty/members/{member['id']}")
    assert after["available"] == 50  # enrolled after the stay: the stay itself earned nothing
    alerts = queued(chain, "feedback_alert")
    assert [a.recipient for a in alerts] == ["manager-hotel@example.com"]
    assert "housekeeping 2" in alerts[0].payload["text"]
    listed = chain.call("manager-hotel", "GET", "/api/v1/loyalty/properties/hotel/surveys?low=true")
    assert [(s["reservation_id"], s["comment"]) for s in listed] == [(res["id"], "La ducha goteaba")]
    chain.call("manager-annex", "GET", "/api/v1/loyalty/properties/hotel/surveys", 403)


def test_bad_answers_are_refused_whole(chain: Chain) -> None:
    res = stay(
        chain,
        "annex",
        arrival=date(2027, 5, 10),
        nights=1,
        guest_name="Kai Ito",
        guest_phone="+81 90 1234 5678",
    )
    message = [m for m in queued(chain, "survey_post_stay") if m.channel == "whatsapp"][-1]
    assert message.recipient == "819012345678" and res["guest_id"]  # as the WhatsApp API takes it
    _site, token, _lang = link_in(message)
    url = f"/api/v1/loyalty/surveys/{token}/answer"
    bad: list[dict[str, Any]] = [
        {"scores": {}},
        {"scores": {"spa": 3}},
        {"scores": {"overall": 9}},
        {"scores": {"overall": 3}, "comment": "x" * 2001},
        {"scores": {"overall": 3}, "x": 1},
    ]
    for body in bad:
        chain.call("front_desk-annex", "POST", url, 422, json=body)
    chain.call(
        "front_desk-annex",
        "POST",
        "/api/v1/loyalty/surveys/not-a-real-token-at-all/answer",
        404,
        json={"scores": {"overall": 3}},
    )
    done = chain.call("front_desk-annex", "POST", url, 201, json={"scores": {"overall": 5}})
    assert (done["low"], done["points"]) == (False, 0)  # not a member: no points
