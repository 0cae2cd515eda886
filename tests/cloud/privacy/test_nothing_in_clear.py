"""After a whole stay (a booking with staff notes and preferences, messages, a service request, a
survey, a redemption, marketing consent and an opt-out by WhatsApp), no table of the database holds
the guest's name, e-mail or phone in clear, in any column; the staff's free text is sealed too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from cloud.notify.inbound import Inbound, apply_inbound
from cloud.notify.models import Contact, OutboxMessage
from cloud.reservations.models import Reservation
from tests.cloud.loyalty.chain import Chain, chain_app
from tests.cloud.loyalty.stays import book, check_in, check_out

NAME, EMAIL, PHONE = "Eulalia Fontcuberta", "eulalia.fontcuberta@example.net", "+34 622 718 904"
# every form a careless copy could take: words of the name, the address, the phone's digits
NEEDLES = ("eulalia", "fontcuberta", "example.net", "622 718 904", "622718904")


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POSADA_ARGON2_MEMORY_KIB", "1024")
        patch.setenv("POSADA_ARGON2_TIME_COST", "1")
        with chain_app() as built:
            yield built


def _survey_token(chain: Chain, reservation_id: str) -> str:
    with chain.app.services.sessions() as session:
        message = session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"survey:post_stay:{reservation_id}")
        )
    assert message is not None
    return str(message.payload["text"]).split("/survey/", 1)[1].split("?", 1)[0]


def _whole_stay(chain: Chain) -> dict[str, Any]:
    desk, site = "front_desk-hotel", "hotel"
    res = book(
        chain, desk, site, arrival=date(2027, 6, 1), nights=2, guest_name=NAME, guest_email=EMAIL,
        guest_phone=PHONE, notes=f"{NAME} asked for a quiet room; call {PHONE}",
        preferences={"view": "sea, Eulalia Fontcuberta", "accessible": True},
    )
    member = chain.call(desk, "POST", "/api/v1/loyalty/members", 201, json={"guest_id": res["guest_id"]})
    chain.call(desk, "PUT", f"/api/v1/marketing/guests/{res['guest_id']}/consent", 204,
               json={"email": True, "whatsapp": True})
    check_in(chain, site, res)
    chain.call("manager-hotel", "POST", f"/api/v1/properties/{site}/service-types", 201, json={
        "code": "pillows", "department": "housekeeping", "names": {"en": "Pillows"},
        "promise_minutes": 30,
    })
    chain.call(desk, "POST", f"/api/v1/properties/{site}/service-requests", 201, json={
        "type": "pillows", "reservation_id": res["id"], "note": f"for Eulalia Fontcuberta, {PHONE}",
    })
    check_out(chain, site, res, settle="bill_later")
    chain.call(desk, "POST", f"/api/v1/loyalty/surveys/{_survey_token(chain, res['id'])}/answer", 201,
               json={"scores": {"overall": 5}, "comment": f"Lovely. Eulalia Fontcuberta, {EMAIL}"})
    chain.call(desk, "POST", f"/api/v1/loyalty/members/{member['id']}/redemptions", 201, json={
        "site": site, "kind": "night", "points": 10, "note": f"asked by Eulalia at {PHONE}",
    })
    with chain.app.services.sessions.begin() as session:
        apply_inbound(session, Inbound("34622718904", datetime(2027, 6, 4, tzinfo=UTC), "STOP"),
                      now=datetime(2027, 6, 4, tzinfo=UTC))
    return res


def _dump(chain: Chain) -> dict[str, list[str]]:
    """Every row of every table, as the database holds it."""
    engine = chain.app.services.engine
    found: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            found[table] = [repr(tuple(r)).casefold() for r in rows]
    return found


def test_no_table_holds_the_guests_name_email_or_phone_in_clear_after_a_whole_stay(chain: Chain) -> None:
    res = _whole_stay(chain)
    tables = _dump(chain)
    assert tables["ops_service_requests"] and tables["loyalty_redemptions"]
    assert tables["loyalty_surveys"] and tables["notify_contacts"] and tables["marketing_consents"]
    leaks = {
        table: [n for n in NEEDLES if any(n in row for row in rows)]
        for table, rows in tables.items()
    }
    assert {t: n for t, n in leaks.items() if n} == {}, "personal data stored in clear"

    # what the staff typed reads back as typed, is exported with the guest and erased with her
    with chain.app.services.sessions() as session:
        row = session.get(Reservation, res["id"])
        assert row is not None and row.notes.startswith(NAME)
        assert row.preferences == {"view": "sea, Eulalia Fontcuberta", "accessible": True}
        contact = session.scalar(select(Contact).where(Contact.address_bidx == PHONE))
        assert contact is not None and contact.opted_out and contact.address == "34622718904"
    guest = res["guest_id"]
    exported = chain.call("manager-hotel", "GET", f"/api/v1/guests/{guest}/export")
    assert exported["notes"][0]["notes"].startswith(NAME)
    assert [q["note"] for q in exported["service_requests"]] == [f"for Eulalia Fontcuberta, {PHONE}"]
    assert [s["comment"] for s in exported["surveys"]] == [f"Lovely. Eulalia Fontcuberta, {EMAIL}"]
    assert [d["note"] for d in exported["redemptions"]] == [f"asked by Eulalia at {PHONE}"]
    chain.call("manager-hotel", "DELETE", f"/api/v1/guests/{guest}", 204)
    after = chain.call("manager-hotel", "GET", f"/api/v1/guests/{guest}/export")
    assert not after["notes"] and {q["note"] for q in after["service_requests"]} == {""}
    assert {s["comment"] for s in after["surveys"]} == {""}
    with chain.app.services.sessions() as session:
        assert session.scalar(select(Contact).where(Contact.address_bidx == PHONE)) is None
