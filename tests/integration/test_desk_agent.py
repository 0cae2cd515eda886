"""The real desk agent (thread and ``posada desk`` process) against the real cloud over HTTP,
writing with the simulated NTAG twin."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.commands.models import Command
from edge.hw.nfc import read_keycard
from edge.hw.nfc_sim import SimulatedReader
from tests.integration.desk_support import desk_cloud, running_agent
from tests.integration.harness import wait_until
from tests.support.ports import free_port

pytestmark = pytest.mark.service


def _upserted_card(cloud_app: object, credential_id: str) -> bytes:
    with cloud_app.services.sessions() as s:  # type: ignore[attr-defined]
        command = s.scalars(select(Command).where(Command.type == "credential.upsert")).all()
        text = next(c.data["card"] for c in command if c.data["credential_id"] == credential_id)
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_card_queued_at_the_desk_is_written_verified_and_reported(sqlite_url: str, tmp_path: Path) -> None:
    with desk_cloud(sqlite_url, tmp_path) as cloud, running_agent(cloud.url, cloud.token) as desk:
        res_id = cloud.stay_in("103")
        [card] = cloud.cards(res_id)
        r = cloud.http.post(
            f"/api/v1/reservations/{res_id}/cards/{card['id']}/encode", json={"station": "desk-1"}
        )
        assert r.status_code == 201, r.text
        done = cloud.wait_status(res_id, card["id"], "encoded")
        [(job, tag)] = desk.tray.written
        assert job.credential_id == card["id"] and done["encoded_uid"] == tag.uid.hex()
        reader = SimulatedReader()
        reader.present(tag)
        assert read_keycard(reader, timeout_s=1) == (tag.uid, _upserted_card(cloud.app, card["id"]))
        # a companion's card, queued with the issue request, goes the same way
        second = cloud.http.post(
            f"/api/v1/reservations/{res_id}/cards", json={"guest": 2, "station": "desk-1"}
        )
        assert second.status_code == 201, second.text
        cloud.wait_status(res_id, second.json()["id"], "encoded")
        assert desk.agent.encoded == 2 and len({t.uid for _j, t in desk.tray.written}) == 2


def test_no_card_on_the_reader_in_time_is_shown_as_failed_with_the_reason(
    sqlite_url: str, tmp_path: Path
) -> None:
    with (
        desk_cloud(sqlite_url, tmp_path) as cloud,
        running_agent(cloud.url, cloud.token, tag_timeout_s=0.5) as desk,
    ):
        desk.tray.delay_s = 5.0  # the clerk is slower than the encoder waits
        res_id = cloud.stay_in("104")
        [card] = cloud.cards(res_id)
        cloud.http.post(
            f"/api/v1/reservations/{res_id}/cards/{card['id']}/encode", json={"station": "desk-1"}
        )
        failed = cloud.wait_status(res_id, card["id"], "failed")
        assert failed["job"]["reason"] == "no_tag" and "0.5 s" in failed["job"]["detail"]
        assert failed["encoded_uid"] is None and desk.agent.failed == 1
        desk.tray.delay_s = 0.2  # encoding again works: the card's bytes are still waiting for a tag
        cloud.http.post(
            f"/api/v1/reservations/{res_id}/cards/{card['id']}/encode", json={"station": "desk-1"}
        )
        cloud.wait_status(res_id, card["id"], "encoded")


def test_an_agent_started_before_the_cloud_reconnects_and_encodes(sqlite_url: str, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    token_box: list[str] = []

    # The agent needs a token the cloud will know: start the cloud once to mint it, then stop it.
    with desk_cloud(sqlite_url, tmp_path, port=port) as cloud:
        token_box.append(cloud.token)
    with running_agent(url, token_box[0]) as desk:
        time.sleep(1.5)  # the agent fails to reach the cloud a few times and backs off
        assert desk.thread.is_alive()
        with desk_cloud(sqlite_url, tmp_path, port=port) as cloud2:
            cloud2.http.headers["Authorization"] = f"Bearer {token_box[0]}"
            res_id = cloud2.stay_in("105")
            [card] = cloud2.cards(res_id)
            cloud2.http.post(
                f"/api/v1/reservations/{res_id}/cards/{card['id']}/encode", json={"station": "desk-1"}
            )
            cloud2.wait_status(res_id, card["id"], "encoded")


def test_posada_desk_runs_as_its_own_process(sqlite_url: str, tmp_path: Path) -> None:
    with desk_cloud(sqlite_url, tmp_path) as cloud:
        log = (tmp_path / "desk.log").open("wb")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "POSADA_DESK_TOKEN": cloud.token}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "posada.cli",
                "desk",
                "--url",
                cloud.url,
                "--site",
                "hotel",
                "--station",
                "desk-9",
                "--simulate",
                "--tag-timeout",
                "5",
            ],
            stdout=log,
            stderr=log,
            env=env,
        )
        try:
            wait_until(
                lambda: (
                    [s["name"] for s in cloud.http.get("/api/v1/properties/hotel/desk-stations").json()]
                    == ["desk-9"]
                ),
                what="the station signed in",
            )
            res_id = cloud.stay_in("106")
            [card] = cloud.cards(res_id)
            cloud.http.post(
                f"/api/v1/reservations/{res_id}/cards/{card['id']}/encode", json={"station": "desk-9"}
            )
            done = cloud.wait_status(res_id, card["id"], "encoded")
            assert len(done["encoded_uid"]) == 14
        finally:
            process.terminate()
            stopped = process.wait(40)
            log.close()
    assert b"encoded on tag" in (tmp_path / "desk.log").read_bytes()
    assert stopped == 0  # a stop cuts the idle long poll short and ends cleanly


def test_posada_desk_without_a_token_says_so(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    done = subprocess.run(
        [sys.executable, "-m", "posada.cli", "desk", "--site", "hotel", "--station", "d1", "--simulate"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode != 0 and b"POSADA_DESK_TOKEN" in done.stderr
