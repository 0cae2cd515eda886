"""The desk's encoder on the simulated NTAG twin: write, read back, and every way it can fail."""

from __future__ import annotations

import threading

from edge.desk.encoder import check_card, encode
from edge.hw.nfc_sim import SimulatedNtag, SimulatedReader
from mqtt.keycard import format_credential_id
from tests.edge.access.access_fixtures import Desk

DESK = Desk()
CARD = DESK.card()
CREDENTIAL = format_credential_id(DESK.next_id)


def test_a_card_is_written_read_back_and_reported_by_uid() -> None:
    reader, tag = SimulatedReader(), SimulatedNtag("NTAG213")
    reader.present(tag)
    result = encode(reader, CARD, timeout_s=1)
    assert result.ok and result.uid == tag.uid.hex() and len(result.uid) == 14
    assert tag.writes > 0


def test_no_tag_in_time_is_reported_as_no_tag() -> None:
    result = encode(SimulatedReader(), CARD, timeout_s=0.2)
    assert not result.ok and result.reason == "no_tag" and "0.2 s" in result.detail


def test_the_card_written_last_is_not_overwritten_by_the_next_job() -> None:
    reader, first = SimulatedReader(), SimulatedNtag()
    reader.present(first)
    assert encode(reader, CARD, timeout_s=1).ok
    result = encode(reader, DESK.card(), timeout_s=0.3, not_uid=first.uid)
    assert result.reason == "no_tag" and "take the last card off" in result.detail
    second = SimulatedNtag()
    threading.Timer(0.2, reader.present, args=(second,)).start()
    assert encode(reader, DESK.card(), timeout_s=2, not_uid=first.uid).uid == second.uid.hex()


def test_a_card_pulled_away_mid_write_is_a_write_failure() -> None:
    reader, tag = SimulatedReader(), SimulatedNtag()
    tag.tear_after_writes = 3
    reader.present(tag)
    result = encode(reader, CARD, timeout_s=1)
    assert result.reason == "write_failed" and "left the field" in result.detail


class _Forgetful(SimulatedNtag):
    """A tag that flips a bit of the card's payload as it stores it: the read-back cannot match."""

    def _write(self, page: int, data: bytes) -> bytes:
        answer = super()._write(page, data)
        if page == 8:
            self.memory[page * 4 + 1] ^= 0x01
        return answer


def test_a_read_back_that_differs_is_a_verify_mismatch() -> None:
    reader = SimulatedReader()
    reader.present(_Forgetful())
    result = encode(reader, CARD, timeout_s=1)
    assert not result.ok and result.reason == "verify_mismatch" and "read-back" in result.detail


def test_a_card_too_large_for_the_tag_is_unsupported() -> None:
    reader, tag = SimulatedReader(), SimulatedNtag("NTAG213")
    reader.present(tag)
    assert encode(reader, bytes(200), timeout_s=1).reason == "unsupported_tag"


def test_the_agent_checks_the_clouds_card_before_writing() -> None:
    assert check_card(CARD, credential_id=CREDENTIAL) is None
    assert "the job names" in (check_card(CARD, credential_id="00000000000000ff") or "")
    assert "not a keycard" in (check_card(b"\x50\x01garbage", credential_id=CREDENTIAL) or "")
    assert "not a keycard" in (check_card(b"", credential_id=CREDENTIAL) or "")
