"""The hotel's own texts of guest emails: managers only, refused whole when a placeholder is unknown."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from tests.cloud.guestweb.conftest import Clock
from tests.cloud.reservations.apps import client_for

URL = "/api/v1/guest/properties/hotel/emails/booking_confirmed/es"


def test_a_manager_keeps_the_hotels_text_and_a_bad_placeholder_changes_nothing(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    with client_for(sessions, clock=clock, role=Role.MANAGER) as client:
        assert client.get(URL).json()["own"] is False
        refused = client.put(URL, json={"subject": "Hola {name}", "body": "{name.__init__}"})
        assert refused.status_code == 422 and "name" in refused.json()["allowed"]
        assert client.get(URL).json()["own"] is False
        kept = client.put(URL, json={"subject": "¡Bienvenida, {name}!", "body": "Pagado: {paid}"})
        assert kept.status_code == 200
        assert client.get(URL).json() == {"template": "booking_confirmed", "language": "es", "own": True,
                                          "subject": "¡Bienvenida, {name}!", "body": "Pagado: {paid}"}
    with client_for(sessions, clock=clock, role=Role.FRONT_DESK) as client:
        assert client.put(URL, json={"subject": "x", "body": "y"}).status_code == 403


PAGE = "/desk/guest-emails"


def test_managers_edit_preview_and_reset_a_guest_email_on_their_page(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    with client_for(sessions, clock=clock, role=Role.MANAGER) as client:
        client.follow_redirects = False
        page = client.get(f"{PAGE}?template=pre_arrival&language=zh", headers={"Accept-Language": "es"})
        assert page.status_code == 200 and "Texto predeterminado" in page.text
        assert "{checkin_from}" in page.text
        form = {"template": "pre_arrival", "language": "zh", "subject": "{hotel}欢迎您",
                "body": "{name}您好，{arrival} {checkin_from}起可入住。"}  # noqa: RUF001
        preview = client.post(PAGE, data={**form, "action": "preview"})
        assert preview.status_code == 200 and "Ana Ruiz您好" in preview.text  # sample values put in
        refused = client.post(PAGE, data={**form, "body": "{name} {room_number}", "action": "save"})
        assert refused.status_code == 422 and "{room_number}" in refused.text
        assert "is not a placeholder" in refused.text
        assert client.get(URL.replace("booking_confirmed/es", "pre_arrival/zh")).json()["own"] is False
        assert client.post(PAGE, data={**form, "subject": "", "action": "save"}).status_code == 422
        saved = client.post(PAGE, data={**form, "action": "save"})
        assert saved.status_code == 303
        kept = client.get(URL.replace("booking_confirmed/es", "pre_arrival/zh")).json()
        assert kept["own"] is True and kept["subject"] == "{hotel}欢迎您"
        assert client.post(PAGE, data={**form, "action": "reset"}).status_code == 303
        assert client.get(URL.replace("booking_confirmed/es", "pre_arrival/zh")).json()["own"] is False
    with client_for(sessions, clock=clock, role=Role.FRONT_DESK) as client:
        assert client.get(PAGE).status_code == 403
