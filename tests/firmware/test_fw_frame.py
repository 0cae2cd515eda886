# portable: runs under CPython (pytest) and inside MicroPython (test_fw_micropython.py).
# ruff: noqa: UP031  (MicroPython runs this file too: plain % formatting)
try:
    from doornode import frame as fr
except ImportError:
    from firmware.doornode import frame as fr


def _raises(exc, fn, *args):
    try:
        fn(*args)
    except exc:
        return
    raise AssertionError("expected %s" % exc.__name__)


def test_crc_matches_ccitt_false_check_value():
    assert fr.crc16(b"123456789") == 0x29B1
    assert fr.crc16_table(b"123456789") == 0x29B1
    assert fr.crc16_table(b"") == 0xFFFF


def test_frame_bytes_follow_the_documented_layout():
    data = fr.encode(3, 7, fr.CARD, b"hi", reply=True)
    assert data[:2] == b"\xa5\x5a"
    assert data[2] == 0x83 and data[3] == 7 and data[4] == fr.CARD
    assert data[5:7] == b"\x00\x02" and data[7:9] == b"hi"
    assert (data[9] << 8) | data[10] == fr.crc16_table(data[2:9])
    assert len(data) == fr.OVERHEAD + 2


def test_round_trip_through_the_decoder():
    frames = [fr.Frame(1, 1, fr.POLL), fr.Frame(126, 255, fr.CARD, b"x" * 300, reply=True)]
    dec = fr.Decoder()
    got = dec.feed(b"".join(f.encode() for f in frames))
    assert got == frames
    assert dec.frames == 2 and dec.errors() == 0 and dec.buf == b""


def test_decoder_takes_bytes_one_at_a_time():
    data = fr.encode(5, 9, fr.DOOR, fr.encode_door(True, 12), reply=True)
    dec = fr.Decoder()
    got = []
    for i in range(len(data)):
        got.extend(dec.feed(data[i:i + 1]))
    assert len(got) == 1 and fr.decode_door(got[0].payload) == (True, 12)


def test_garbage_before_and_between_frames_is_skipped_and_counted():
    a = fr.encode(1, 1, fr.POLL)
    b = fr.encode(2, 2, fr.POLL)
    dec = fr.Decoder()
    got = dec.feed(b"\x00\xa5\x11" + a + b"\xff\xfe" + b)
    assert [f.addr for f in got] == [1, 2]
    assert dec.garbage == 5


def test_corrupted_frame_is_dropped_and_next_frame_still_decodes():
    bad = bytearray(fr.encode(1, 1, fr.UNLOCK, fr.encode_unlock(3000)))
    bad[8] ^= 0x01
    good = fr.encode(1, 2, fr.POLL)
    dec = fr.Decoder()
    got = dec.feed(bytes(bad) + good)
    assert [f.seq for f in got] == [2]
    assert dec.crc_errors == 1


def test_cut_frame_followed_by_a_whole_one_resyncs():
    cut = fr.encode(1, 1, fr.CARD, b"abcdefgh", reply=True)[:9]
    good = fr.encode(1, 2, fr.CARD, b"abcdefgh", reply=True)
    dec = fr.Decoder()
    got = dec.feed(cut + good)
    assert [f.seq for f in got] == [2]
    assert dec.crc_errors >= 1


def test_cut_frame_then_silence_counts_as_truncated():
    dec = fr.Decoder()
    assert dec.feed(fr.encode(1, 1, fr.POLL)[:6]) == []
    dec.expire()
    assert dec.truncated == 1 and dec.buf == b""


def test_oversize_length_is_rejected_without_waiting_for_it():
    dec = fr.Decoder(max_payload=16)
    big = fr.encode(1, 1, fr.CARD, b"z" * 17, reply=True)
    good = fr.encode(1, 2, fr.POLL)
    got = dec.feed(big + good)
    assert [f.seq for f in got] == [2]
    assert dec.oversize == 1


def test_frame_refuses_out_of_range_fields():
    _raises(fr.FrameError, fr.Frame, 128, 0, fr.POLL)
    _raises(fr.FrameError, fr.Frame, 1, 256, fr.POLL)
    _raises(fr.FrameError, fr.Frame, 1, 0, fr.CARD, b"x" * (fr.MAX_PAYLOAD + 1))


def test_sequence_wraps_past_255_and_skips_zero():
    assert fr.next_seq(0) == 1 and fr.next_seq(254) == 255 and fr.next_seq(255) == 1


def test_reply_cache_answers_a_repeat_and_ignores_seq_zero():
    cache = fr.ReplyCache()
    assert cache.lookup(4) is None
    cache.remember(4, b"reply")
    assert cache.lookup(4) == b"reply" and cache.duplicates == 1
    assert cache.lookup(5) is None
    cache.remember(0, b"first")
    assert cache.lookup(0) is None


def test_payloads_round_trip():
    assert fr.decode_decision(fr.encode_decision(9, True, 5000, 3600)) == (9, True, 5000, 3600)
    assert fr.decode_unlock(fr.encode_unlock(1234)) == 1234
    assert fr.decode_card(fr.encode_card(1, 3, 70000, b"\x01\x02")) == (1, 3, 0xFFFF, b"\x01\x02")
    assert fr.decode_status(fr.encode_status(3300, 2, 1)) == (3300, 2, 1)
    assert fr.decode_heartbeat(fr.encode_heartbeat(86400, 3)) == (86400, 3)
    assert fr.decode_nack(bytes([fr.NACK_UNKNOWN_TYPE])) == fr.NACK_UNKNOWN_TYPE
    assert fr.decode_poll(fr.encode_poll(513)) == 513 and fr.decode_poll(b"") == 0
    assert fr.decode_event(fr.encode_event(65535, b"body")) == (65535, b"body")
    assert fr.next_event_id(65535) == 1 and fr.next_event_id(1) == 2


def test_malformed_payloads_raise_frame_error():
    _raises(fr.FrameError, fr.decode_decision, b"\x01\x02")
    _raises(fr.FrameError, fr.decode_decision, b"\x01\x02\x00\x00\x00\x00")
    _raises(fr.FrameError, fr.decode_card, b"\x01\x00\x00\x00")
    _raises(fr.FrameError, fr.decode_door, b"\x02\x00\x00")
    _raises(fr.FrameError, fr.encode_unlock, 70000)
    _raises(fr.FrameError, fr.encode_card, 1, 0, 0, b"")
    _raises(fr.FrameError, fr.decode_event, b"\x00\x00body")
    _raises(fr.FrameError, fr.decode_event, b"\x01")
    _raises(fr.FrameError, fr.encode_event, 0, b"")
    _raises(fr.FrameError, fr.decode_poll, b"\x01")
