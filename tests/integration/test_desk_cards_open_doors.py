"""End to end: two guests' cards of one stay, encoded by the desk agent, open the room door at
the real gateway; revoking card 1 alone leaves card 2 opening (Mosquitto with the ACL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.commands.models import Command
from edge.hw.nfc import read_keycard
from edge.hw.nfc_sim import SimulatedNtag, SimulatedReader
from tests.integration.desk_support import DeskCloud, desk_cloud, running_agent
from tests.integration.harness import gateway_config, running_gateway, wait_until
from tests.support.broker import Mosquitto

pytestmark = pytest.mark.service
ROOMS = [f"1{n:02d}" for n in range(1, 11)]


def _all_acked(cloud: DeskCloud, *, types: set[str]) -> bool:
    with cloud.app.services.sessions() as s:
        commands = list(s.scalars(select(Command).where(Command.site == "hotel", Command.floor == "f1")))
    seen = {c.type for c in commands}
    return types <= seen and all(c.acked_at is not None for c in commands)


def _bytes(tag: SimulatedNtag) -> bytes:
    reader = SimulatedReader()
    reader.present(tag)
    read = read_keycard(reader, timeout_s=1)
    assert read is not None
    return read[1]


def test_two_guests_cards_open_and_revoking_one_leaves_the_other(
    own_mosquitto: Mosquitto, sqlite_url: str, tmp_path: Path
) -> None:
    config = gateway_config(
        own_mosquitto.gateway_url("hotel", "f1"),
        tmp_path / "edge",
        site="hotel",
        floor="f1",
        rooms=ROOMS,
        access="keycard",
        site_number=1,
        floor_number=1,
    )
    with (
        desk_cloud(
            sqlite_url,
            tmp_path,
            mqtt_enabled=True,
            mqtt_url=own_mosquitto.cloud_url,
            mqtt_client_id=f"cloud-desk-{tmp_path.name}",
        ) as cloud,
        running_gateway(config) as gateway,
        running_agent(cloud.url, cloud.token) as desk,
    ):
        wait_until(
            lambda: _all_acked(cloud, types={"key.upsert"}), timeout=60, what="the gateway has the key"
        )
        res_id = cloud.stay_in("102")
        [first] = cloud.cards(res_id)
        assert (
            cloud.http.post(
                f"/api/v1/reservations/{res_id}/cards/{first['id']}/encode", json={"station": "desk-1"}
            ).status_code
            == 201
        )
        second = cloud.http.post(
            f"/api/v1/reservations/{res_id}/cards", json={"guest": 2, "station": "desk-1"}
        )
        assert second.status_code == 201, second.text
        cloud.wait_status(res_id, first["id"], "encoded")
        cloud.wait_status(res_id, second.json()["id"], "encoded")
        tags = {job.credential_id: tag for job, tag in desk.tray.written}
        card1, card2 = _bytes(tags[first["id"]]), _bytes(tags[second.json()["id"]])
        wait_until(lambda: _all_acked(cloud, types={"credential.upsert"}), timeout=30, what="cards listed")

        assert gateway.judge_card("102", card1).granted
        assert gateway.judge_card("102", card2).granted
        assert gateway.judge_card("102", card1).granted  # card 2's first use superseded nothing

        r = cloud.http.post(f"/api/v1/reservations/{res_id}/cards/{first['id']}/revoke")
        assert r.status_code == 200 and r.json()["status"] == "revoked"
        wait_until(
            lambda: _all_acked(cloud, types={"credential.revoke"}), timeout=30, what="revocation applied"
        )
        refused = gateway.judge_card("102", card1)
        assert not refused.granted and refused.reason == "revoked"
        assert gateway.judge_card("102", card2).granted
        assert not gateway.judge_card("103", card2).granted  # and only its own room
