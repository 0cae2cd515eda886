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
