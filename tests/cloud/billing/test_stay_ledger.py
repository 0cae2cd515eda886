"""What each step of a stay does to its folio: fees, late checkout, early departure, opt-out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Folio
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import FolioLedger
from cloud.catalog.models import Property
from cloud.notify.models import OutboxMessage
from cloud.notify.outbox import set_opt_out
from cloud.reservations.sales.booking import Booking
from cloud.reservations.sales.booking import book as core_book
from tests.cloud.billing.stay_support import (
    BOOKED_AT,
    Clock,
    book,
    folio,
    owed,
)

CHECK_IN = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)  # 16:00 in Madrid


def _kinds(desk: TestClient, reservation_id: str) -> list[tuple[str, int]]:
    return [(c["kind"], c["gross_minor"]) for c in folio(desk, reservation_id)["charges"]]


def _outbox(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage)))


def test_an_opted_out_guest_gets_no_confirmation_but_the_folio_opens(
    desk: TestClient, stay_sessions: sessionmaker[Session]
) -> None:
    with stay_sessions.begin() as session:
        set_opt_out(session, channel="whatsapp", address="34600111222", opted_out=True,
                    now=BOOKED_AT)
    res = book(desk)
    assert folio(desk, res["id"])["status"] == "open"
    assert _outbox(stay_sessions) == []
    book(desk, guest_phone="+34 600 999 888")
    assert [m.recipient for m in _outbox(stay_sessions)] == ["34600999888"]


def test_a_guest_without_a_phone_gets_a_folio_and_no_message(
    desk: TestClient, stay_sessions: sessionmaker[Session]
) -> None:
    res = book(desk, guest_phone=None)
    assert folio(desk, res["id"])["guest_phone"] is None
    assert _outbox(stay_sessions) == []


def test_a_late_cancellation_posts_the_rate_plans_fee(desk: TestClient) -> None:
    res = book(desk, arrival="2027-03-02", departure="2027-03-04")  # inside the 48 free hours
    cancelled = desk.post(f"/api/v1/reservations/{res['id']}/cancel").json()
    assert cancelled["cancellation_fee_minor"] == res["nights"][0]["amount_minor"] > 0
    assert _kinds(desk, res["id"]) == [("cancellation", cancelled["cancellation_fee_minor"])]
    early = book(desk, arrival="2027-03-20", departure="2027-03-22")
    desk.post(f"/api/v1/reservations/{early['id']}/cancel")
    assert _kinds(desk, early["id"]) == []  # free cancellation: nothing to pay


def test_a_no_show_posts_the_no_show_fee(desk: TestClient, stay_clock: Clock) -> None:
    res = book(desk, rate_plan="nonref")
    stay_clock.now = datetime(2027, 3, 4, 9, tzinfo=UTC)
    marked = desk.post(f"/api/v1/reservations/{res['id']}/no-show").json()
    assert marked["status"] == "no_show"
    assert _kinds(desk, res["id"]) == [("no_show", marked["cancellation_fee_minor"])]


def test_check_in_posts_every_night_and_late_checkout_is_one_replaceable_line(
    desk: TestClient, stay_clock: Clock
) -> None:
    res = book(desk)
    stay_clock.now = CHECK_IN
    desk.post(f"/api/v1/reservations/{res['id']}/check-in")
    nights = [("room_night", n["amount_minor"]) for n in res["nights"]]
    assert _kinds(desk, res["id"]) == nights
    desk.post(f"/api/v1/reservations/{res['id']}/late-checkout", json={"until": "13:00"})
    assert _kinds(desk, res["id"]) == [*nights, ("late_checkout", 3000)]  # 2 h at 15.00
    desk.post(f"/api/v1/reservations/{res['id']}/late-checkout", json={"until": "12:00"})
    assert _kinds(desk, res["id"]) == [
        *nights, ("late_checkout", 3000), ("late_checkout", -3000), ("late_checkout", 1500)]
    assert folio(desk, res["id"])["checkout_at"].startswith("2027-03-06T11:00")


def test_leaving_early_on_a_company_account_drops_unused_nights_and_keeps_the_folio_open(
    desk: TestClient, stay_clock: Clock
) -> None:
    res = book(desk)
    stay_clock.now = CHECK_IN
    desk.post(f"/api/v1/reservations/{res['id']}/check-in")
    stay_clock.now = datetime(2027, 3, 4, 8, tzinfo=UTC)
    out = desk.post(f"/api/v1/reservations/{res['id']}/check-out", json={"settle": "bill_later"})
    assert out.status_code == 200 and out.json()["invoice_id"] is None
    first, *rest = (n["amount_minor"] for n in res["nights"])
    assert _kinds(desk, res["id"]) == [
        ("room_night", first), *(("room_night", a) for a in rest),
        *(("room_night", -a) for a in rest)]
    after = folio(desk, res["id"])
    assert after["status"] == "open" and after["departed_at"] is not None
    assert owed(desk, res["id"]) == first  # the reminders chase it


def test_check_out_refuses_unknown_choices(desk: TestClient, stay_clock: Clock) -> None:
    res = book(desk)
    stay_clock.now = CHECK_IN
    desk.post(f"/api/v1/reservations/{res['id']}/check-in")
    r = desk.post(f"/api/v1/reservations/{res['id']}/check-out", json={"settle": "forgive"})
    assert r.status_code == 422
    assert desk.get(f"/api/v1/reservations/{res['id']}").json()["status"] == "checked_in"


def test_the_checkout_clock_checks_out_a_guest_who_owes_and_leaves_the_folio_to_reminders(
    desk: TestClient, stay_clock: Clock
) -> None:
    res = book(desk, arrival="2027-03-03", departure="2027-03-04")
    stay_clock.now = CHECK_IN
    desk.post(f"/api/v1/reservations/{res['id']}/check-in")
    stay_clock.now = datetime(2027, 3, 4, 10, 30, tzinfo=UTC)
    done = desk.post("/api/v1/properties/hotel/checkout-due").json()
    assert done["reservations"] == [res["id"]]
    after = folio(desk, res["id"])
    assert after["departed_at"] is not None and after["balances"]["guest"]["minor"] > 0


def test_changing_the_dates_moves_the_folios_arrival_and_checkout(desk: TestClient) -> None:
    res = book(desk)
    r = desk.patch(f"/api/v1/reservations/{res['id']}",
                     json={"arrival": "2027-03-10", "departure": "2027-03-12"})
    assert r.status_code == 200, r.text
    moved = folio(desk, res["id"])
    assert moved["arrival_at"].startswith("2027-03-10T14:00")  # 15:00 in Madrid
    assert moved["checkout_at"].startswith("2027-03-12T10:00")


def test_the_guests_language_and_phone_change_in_house_and_reach_the_folio(
    desk: TestClient, stay_clock: Clock
) -> None:
    res = book(desk)
    stay_clock.now = CHECK_IN
    assert desk.post(f"/api/v1/reservations/{res['id']}/check-in").status_code == 200
    r = desk.patch(f"/api/v1/reservations/{res['id']}",
                   json={"guest_language": "es", "guest_phone": "+34 600 999 888"})
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["guest_language"], changed["guest_phone"]) == ("es", "+34 600 999 888")
    assert (changed["arrival"], changed["departure"], changed["status"]) == (
        res["arrival"], res["departure"], "checked_in")
    assert changed["rooms"] == res["rooms"]  # the stay is not touched
    now = folio(desk, res["id"])
    assert (now["guest_language"], now["guest_phone"]) == ("es", "+34600999888")


def test_a_stay_change_is_refused_in_house_and_the_guest_details_with_it(
    desk: TestClient, stay_clock: Clock
) -> None:
    res = book(desk)
    stay_clock.now = CHECK_IN
    desk.post(f"/api/v1/reservations/{res['id']}/check-in")
    r = desk.patch(f"/api/v1/reservations/{res['id']}",
                   json={"guest_language": "zh", "departure": "2027-03-09"})
    assert r.status_code == 409, r.text
    assert desk.get(f"/api/v1/reservations/{res['id']}").json()["guest_language"] == res["guest_language"]


def test_guest_details_of_a_cancelled_stay_are_kept_and_bad_ones_refused(desk: TestClient) -> None:
    res = book(desk)
    assert desk.patch(f"/api/v1/reservations/{res['id']}", json={"guest_language": "fr"}).status_code == 422
    assert desk.patch(f"/api/v1/reservations/{res['id']}", json={"guest_name": ""}).status_code == 422
    desk.post(f"/api/v1/reservations/{res['id']}/cancel")
    r = desk.patch(f"/api/v1/reservations/{res['id']}", json={"guest_email": "ana@example.com"})
    assert r.status_code == 409, r.text
    assert desk.get(f"/api/v1/reservations/{res['id']}").json()["guest_email"] == res["guest_email"]


def test_a_rooming_list_opens_a_folio_per_guest_and_the_group_check_in_posts_their_nights(
    desk: TestClient, stay_clock: Clock
) -> None:
    block = desk.post("/api/v1/properties/hotel/blocks", json={
        "name": "Congreso", "kind": "event", "arrival": "2027-03-03", "departure": "2027-03-05",
        "release_on": "2027-03-02", "rate_plan": "flex", "rooms": {"std": 2}}).json()
    made = desk.post(f"/api/v1/blocks/{block['id']}/rooming-list",
                     content=b"guest_name,room_type\nAna,std\nBo,std\n",
                     headers={"content-type": "text/csv"})
    assert made.status_code == 201, made.text
    assert all(folio(desk, r["id"])["charges"] == [] for r in made.json())
    stay_clock.now = CHECK_IN
    assert desk.post(f"/api/v1/blocks/{block['id']}/check-in").status_code == 200
    for res in made.json():
        nights = [("room_night", n["amount_minor"]) for n in res["nights"]]
        assert _kinds(desk, res["id"]) == nights and len(nights) == 2


def test_a_block_the_company_pays_routes_room_nights_to_its_master_folio(
    desk: TestClient, stay_clock: Clock
) -> None:
    block = desk.post("/api/v1/properties/hotel/blocks", json={
        "name": "ACME", "kind": "group", "arrival": "2027-03-03", "departure": "2027-03-05",
        "release_on": "2027-03-02", "rate_plan": "flex", "rooms": {"std": 2}}).json()
    early = book(desk, block_id=block["id"], departure="2027-03-05")  # before the master exists
    master = desk.post(f"/api/v1/blocks/{block['id']}/master-folio",
                       json={"company_name": "ACME SA", "company_tax_id": "ACM010101AAA"})
    assert master.status_code == 201, master.text
    late = book(desk, block_id=block["id"], departure="2027-03-05", guest_name="Bo")
    again = desk.post(f"/api/v1/blocks/{block['id']}/master-folio", json={"company_name": "X"})
    assert again.status_code == 409
    stay_clock.now = CHECK_IN
    for res in (early, late):
        assert desk.post(f"/api/v1/reservations/{res['id']}/check-in").status_code == 200
        assert folio(desk, res["id"])["charges"] == []  # nothing for the guest to pay
        assert owed(desk, res["id"]) == 0
    company = desk.get(f"/api/v1/folios/{master.json()['id']}").json()
    nights = [(c["kind"], c["payer"]) for c in company["charges"]]
    assert nights == [("room_night", "company")] * 4
    assert company["balances"]["company"]["minor"] == early["total_minor"] + late["total_minor"]


def test_a_stay_booked_before_folios_existed_gets_one_at_check_in_without_a_message(
    desk: TestClient, stay_clock: Clock, stay_sessions: sessionmaker[Session]
) -> None:
    with stay_sessions.begin() as session:  # the booking path that knows nothing of billing
        res_id = core_book(session, Booking(
            property="hotel", room_type="std", rate_plan="flex", arrival=date(2027, 3, 3),
            departure=date(2027, 3, 4), guest_name="Old", guest_phone="+34600555444"),
            now=BOOKED_AT).id
    assert desk.get(f"/api/v1/reservations/{res_id}/folio").status_code == 404
    stay_clock.now = CHECK_IN
    assert desk.post(f"/api/v1/reservations/{res_id}/check-in").status_code == 200
    assert [k for k, _ in _kinds(desk, res_id)] == ["room_night"]
    assert _outbox(stay_sessions) == []


def _book_and_open(session: Session, *, phone: str, from_copy: bool) -> tuple[Folio, OutboxMessage]:
    res = core_book(session, Booking(property="hotel", room_type="std", rate_plan="flex",
                                     arrival=date(2027, 3, 10), departure=date(2027, 3, 12),
                                     guest_name="Ana Ruiz", guest_phone=phone), now=BOOKED_AT)
    if not from_copy:  # as a stay booked in another session: the property's row is read
        session.info.pop("reservations.sold_from")
    FolioLedger(BillingSettings()).booked(session, res, now=BOOKED_AT)
    session.flush()
    found = session.scalar(select(Folio).where(Folio.reservation_id == res.id))
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"booking:{found.id}"))
    assert found is not None and message is not None
    return found, message


def _folio_fields(found: Folio) -> tuple[object, ...]:
    return (found.site, found.kind, found.currency, found.guest_name, found.guest_language,
            found.arrival_at, found.checkout_at, found.status, found.routed_kinds)


def test_a_booked_stays_folio_opens_from_the_catalog_copy_as_from_the_property_row(
    stay_sessions: sessionmaker[Session],
) -> None:
    """The folio of a stay just sold takes the property's slug, name, zone and check-in hour from
    the catalog copy the sale used; the same as reading the row, also right after they change."""
    for rename in (False, True):
        if rename:
            with stay_sessions.begin() as session:
                prop = session.scalar(select(Property).where(Property.slug == "hotel"))
                assert prop is not None
                prop.name, prop.checkin_from, prop.timezone = "Hotel Renamed", time(13, 30), "Atlantic/Canary"
        folios = []
        for from_copy, phone in ((True, "+34600111001"), (False, "+34600111002")):
            with stay_sessions.begin() as session:
                found, message = _book_and_open(session, phone=phone, from_copy=from_copy)
                text = message.payload["text"].replace(found.reservation_id or "", "")
                folios.append((_folio_fields(found), message.template, text))
        assert folios[0] == folios[1]
        if rename:
            assert "Hotel Renamed" in folios[0][2]
            arrival_at = folios[0][0][5]
            assert isinstance(arrival_at, datetime)
            assert arrival_at.replace(tzinfo=UTC) == datetime(2027, 3, 10, 13, 30, tzinfo=UTC)
