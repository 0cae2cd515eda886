"""The desk agent's loop with a scripted cloud: backoff through outages, results resent until
the cloud has them, a refused card never written."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from edge.desk.agent import AgentSettings, DeskAgent
from edge.desk.client import CloudError, Job
from edge.desk.encoder import EncodeResult
from edge.desk.simulated import SimulatedTray
from edge.hw.nfc_sim import SimulatedReader
from mqtt.keycard import format_credential_id
from tests.edge.access.access_fixtures import Desk

DESK = Desk()
FAST = AgentSettings(wait_s=0.1, tag_timeout_s=2, backoff_min_s=0.01, backoff_max_s=0.05, report_for_s=2)


def _job(card: bytes, credential: int) -> Job:
    return Job(
        id="01JOB",
        credential_id=format_credential_id(credential),
        card=base64.urlsafe_b64encode(card).decode().rstrip("="),
        room="301",
        guest=1,
        result_by=datetime.now(UTC) + timedelta(seconds=90),
    )


class ScriptedCloud:
    """Answers next_job from a script (a Job, None, or an error), and records reports."""

    def __init__(self, script: list[Any], *, report_errors: list[CloudError] | None = None) -> None:
        self.script, self.report_errors = script, report_errors or []
        self.reports: list[tuple[str, EncodeResult]] = []
        self.polls = 0
        self.done = threading.Event()

    def next_job(self, *, wait_s: float) -> Job | None:
        self.polls += 1
        if not self.script:
            self.done.set()
            return None
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step  # type: ignore[no-any-return]

    def report(self, job_id: str, result: EncodeResult) -> str:
        if self.report_errors:
            raise self.report_errors.pop(0)
        self.reports.append((job_id, result))
        return "encoded" if result.ok else "failed"

    def close(self) -> None: ...


def _run(cloud: ScriptedCloud) -> tuple[DeskAgent, SimulatedTray]:
    reader = SimulatedReader()
    tray = SimulatedTray(reader, delay_s=0.05)
    agent = DeskAgent(cloud, reader, settings=FAST, tray=tray)  # type: ignore[arg-type]
    thread = threading.Thread(target=agent.run, daemon=True)
    thread.start()
    assert cloud.done.wait(20)
    agent.stop()
    thread.join(5)
    return agent, tray


def test_outages_are_ridden_out_and_the_job_is_encoded_and_reported() -> None:
    down = CloudError("cloud unreachable", retry=True)
    card = DESK.card()
    cloud = ScriptedCloud([down, down, None, _job(card, DESK.next_id)])
    agent, tray = _run(cloud)
    [(job_id, result)] = cloud.reports
    assert job_id == "01JOB" and result.ok and result.uid == tray.written[0][1].uid.hex()
    assert agent.encoded == 1 and cloud.polls >= 5


def test_a_result_is_sent_again_until_the_cloud_has_it_and_not_after_a_refusal() -> None:
    card = DESK.card()
    cloud = ScriptedCloud(
        [_job(card, DESK.next_id)],
        report_errors=[CloudError("503", retry=True), CloudError("timeout", retry=True)],
    )
    _run(cloud)
    assert len(cloud.reports) == 1 and cloud.reports[0][1].ok
    refused = ScriptedCloud(
        [_job(DESK.card(), DESK.next_id)], report_errors=[CloudError("409 job gone", retry=False)]
    )
    _run(refused)
    assert refused.reports == []


def test_a_card_that_does_not_match_its_job_is_reported_and_never_written() -> None:
    card = DESK.card()
    cloud = ScriptedCloud([_job(card, DESK.next_id + 1), _job(b"\x50\x01junk", 7)])
    agent, tray = _run(cloud)
    assert [r.reason for _id, r in cloud.reports] == ["bad_card", "bad_card"]
    assert tray.written == [] and agent.failed == 2
