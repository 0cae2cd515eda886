"""NFC: the real libnfc adapter without a reader, NTAG layout and writes on a simulated tag."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.hw import ntag
from edge.hw.nfc import LibnfcReader, load_libnfc, read_keycard, write_keycard
from edge.hw.nfc_errors import NfcUnavailable, TagError
from edge.hw.nfc_sim import SimulatedNtag, SimulatedReader

CARD = bytes(range(122))  # the largest card of format v1


def test_real_libnfc_loads_and_opening_without_a_reader_fails_clearly() -> None:
    nfc = load_libnfc()  # fails the test if libnfc/libfreefare are not installed
    with pytest.raises(NfcUnavailable) as info:
        LibnfcReader()
    assert info.value.reason == "no_reader"
    assert "no NFC reader could be opened" in str(info.value)
    assert nfc.nfc_version  # the bindings really are libnfc's


def test_real_libnfc_names_the_reader_it_could_not_open() -> None:
    with pytest.raises(NfcUnavailable, match="pn532_uart:/dev/ttyPOSADA-NONE"):
        LibnfcReader("pn532_uart:/dev/ttyPOSADA-NONE")


def test_largest_card_round_trips_on_an_ntag213() -> None:
    reader, tag = SimulatedReader(), SimulatedNtag("NTAG213")
    reader.present(tag)
    assert write_keycard(reader, CARD, timeout_s=1) == tag.uid
    assert read_keycard(reader, timeout_s=1) == (tag.uid, CARD)
    assert tag.memory[12:16] == bytes([0xE1, 0x10, 0x12, 0x00])  # capability container intact


def test_ntag215_and_216_are_identified() -> None:
    for model in ("NTAG215", "NTAG216"):
        tag = SimulatedNtag(model)
        assert ntag.write_card(tag, CARD).name == model


def test_card_too_large_for_an_ntag213_is_refused_before_writing() -> None:
    tag = SimulatedNtag("NTAG213")
    with pytest.raises(TagError) as info:
        ntag.write_card(tag, bytes(140))
    assert info.value.reason == "size" and tag.writes == 0


def test_tag_pulled_away_mid_write_is_an_error_and_never_reads_as_a_card() -> None:
    tag = SimulatedNtag()
    ntag.write_card(tag, bytes(100))
    tag.tear_after_writes, tag.writes = 5, 0
    with pytest.raises(TagError):
        ntag.write_card(tag, CARD)
    tag.tear_after_writes = None
    assert ntag.read_card(tag) != CARD


def test_blank_tag_holds_no_card() -> None:
    with pytest.raises(TagError) as info:
        ntag.read_card(SimulatedNtag())
    assert info.value.reason == "empty"


def test_non_ntag_answer_is_unsupported() -> None:
    class Ultralight:
        def transceive(self, command: bytes) -> bytes:
            return b""

    with pytest.raises(TagError) as info:
        ntag.identify(Ultralight())
    assert info.value.reason == "unsupported"


def test_reader_waits_for_a_tag_presented_later() -> None:
    reader, tag = SimulatedReader(), SimulatedNtag()
    ntag.write_card(tag, CARD)
    assert reader.wait_for_tag(timeout_s=0.01) is None
    threading.Timer(0.05, reader.present, args=(tag,)).start()
    assert read_keycard(reader, timeout_s=2) == (tag.uid, CARD)


def test_writing_with_no_tag_presented_times_out() -> None:
    with pytest.raises(TagError) as info:
        write_keycard(SimulatedReader(), CARD, timeout_s=0.01)
    assert info.value.reason == "no_tag"


@given(st.binary(min_size=1, max_size=144))
def test_wrap_unwrap_round_trip(card: bytes) -> None:
    if len(card) <= 0xFF - 3:
        assert ntag.unwrap(ntag.wrap(card) + bytes(8)) == card


@given(st.binary(max_size=144))
def test_unwrap_of_random_memory_returns_bytes_or_tag_error(memory: bytes) -> None:
    try:
        payload = ntag.unwrap(memory)
    except TagError as exc:
        assert exc.reason in {"empty", "truncated", "layout"}
    else:
        assert len(payload) < len(memory)


def test_missing_library_is_reported_as_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "pynfc.nfc", None)  # import now fails
    with pytest.raises(NfcUnavailable) as info:
        LibnfcReader()
    assert info.value.reason == "library"
