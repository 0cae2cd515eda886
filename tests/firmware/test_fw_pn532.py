# portable: runs under CPython (pytest) and inside MicroPython (test_fw_micropython.py).
# ruff: noqa: UP031  (MicroPython runs this file too: plain % formatting)
try:
    from doornode import frame as fr
    from doornode import pn532
    from doornode.node import DoorNode
except ImportError:
    from firmware.doornode import frame as fr
    from firmware.doornode import pn532
    from firmware.doornode.node import DoorNode

from fw_fakes import FakePin, FakeUart
from pn532_sim import ACK, PN532Chip, Tag, chip_frame

CARD = b"P\x01\x01" + bytes(range(105))  # 108 bytes: a one-room card's size
OTHER = b"P\x01\x01" + bytes(range(100, 205))


class Rig:
    def __init__(self, **options):
        self.chip = PN532Chip()
        self.now = 1000
        self.reader = pn532.PN532(self.chip, clock=self.clock, **options)

    def clock(self):
        return self.now

    def run(self, ms, stop_on_card=False):
        """Step the reader once a millisecond; the cards and faults it gave."""
        cards, faults = [], []
        for _ in range(ms):
            self.now += 1
            card = self.reader.read()
            if card:
                cards.append(card)
            fault = self.reader.fault()
            while fault is not None:
                faults.append(fault)
                fault = self.reader.fault()
            if cards and stop_on_card:
                break
        return cards, faults

    def until_state(self, state, ms=500):
        for _ in range(ms):
            self.now += 1
            self.reader.read()
            if self.reader.state == state:
                return  # its command may be out: the chip answers it when asked
        raise AssertionError("reader never reached state %d" % state)


def noise(count, seed):
    """Deterministic bytes (MicroPython's ports differ in their random module)."""
    out, x = bytearray(), seed
    for _ in range(count):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append((x >> 16) & 0xFF)
    return bytes(out)


def test_reads_the_keycard_the_desk_wrote():
    rig = Rig()
    rig.chip.field.append(Tag(b"\x04\xa1\xb2\xc3\xd4\xe5\xf6", CARD))
    cards, faults = rig.run(200, stop_on_card=True)
    assert cards == [CARD] and faults == []
    assert rig.chip.received == [0x02, 0x14, 0x32, 0x4A, 0x40]
    assert rig.reader.healthy() and rig.chip.ignored == 0


def test_host_frames_carry_the_datasheet_checksums():
    frame = pn532.host_frame(0x4A, b"\x02\x00")
    assert frame == b"\x00\x00\xff\x04\xfc\xd4\x4a\x02\x00\xe0\x00"


def test_empty_field_reads_nothing_and_the_reader_stays_healthy():
    rig = Rig()
    cards, faults = rig.run(3000)
    assert cards == [] and faults == [] and rig.reader.healthy()
    assert rig.chip.received.count(0x4A) > 100  # it keeps listing


def test_a_card_torn_away_mid_read_is_a_fault_and_no_card():
    rig = Rig()
    tag = Tag(b"\x04\x01\x02\x03\x04\x05\x06", CARD)
    tag.leave_when_read = True
    rig.chip.field.append(tag)
    cards, faults = rig.run(300)
    assert cards == [] and faults == [fr.FAULT_CARD_TORN]
    assert rig.reader.torn == 1 and rig.reader.healthy()


def test_a_card_gone_between_listing_and_reading_is_torn():
    rig = Rig()
    tag = Tag(b"\x04\x01\x02\x03\x04\x05\x06", CARD)
    rig.chip.field.append(tag)
    rig.until_state(pn532.READ)
    rig.chip.field.remove(tag)
    cards, faults = rig.run(300)
    assert cards == [] and faults == [fr.FAULT_CARD_TORN]


def test_two_cards_in_the_field_are_not_read_and_reported_once():
    rig = Rig()
    rig.chip.field.append(Tag(b"\x04\x01\x01\x01\x01\x01\x01", CARD))
    rig.chip.field.append(Tag(b"\x04\x02\x02\x02\x02\x02\x02", OTHER))
    cards, faults = rig.run(500)
    assert cards == [] and faults == [fr.FAULT_TWO_CARDS]
    rig.chip.field.pop(0)
    cards, faults = rig.run(100, stop_on_card=True)
    assert cards == [OTHER] and faults == []


def test_a_second_card_arriving_mid_read_leaves_the_selected_card_whole():
    rig = Rig()
    rig.chip.field.append(Tag(b"\x04\x09\x09\x09\x09\x09\x09", CARD))
    rig.until_state(pn532.READ)
    rig.chip.field.append(Tag(b"\x04\x00\x00\x00\x00\x00\x01", OTHER))
    cards, _faults = rig.run(50, stop_on_card=True)
    assert cards == [CARD]


def test_garbage_on_the_bus_is_a_fault_never_a_card_and_the_reader_recovers():
    rig = Rig()
    rig.chip.field.append(Tag(b"\x04\x01\x02\x03\x04\x05\x06", CARD))
    rig.chip.noise = noise(200, 7)
    cards, faults = rig.run(3000)
    assert cards == [] and fr.FAULT_READER_GARBAGE in faults
    assert faults.count(fr.FAULT_READER_GARBAGE) == 1  # counted every time, reported once in 5 s
    assert rig.reader.garbage > 5
    rig.chip.noise = None
    cards, faults = rig.run(1000, stop_on_card=True)
    assert cards == [CARD]


def test_no_corrupted_answer_is_ever_taken():
    """Every single-byte corruption of a good answer is refused (start code, LCS, TFI, command,
    data, DCS); the preamble and postamble carry nothing and are not checked."""
    good = b"\x01" + chip_frame(b"\x41\x00" + bytes(range(16)))
    assert pn532.parse_answer(good, 0x40) == b"\x00" + bytes(range(16))
    taken = 0
    for i in range(2, len(good) - 1):
        for flip in (0x01, 0x80, 0xFF):
            bad = bytearray(good)
            bad[i] ^= flip
            try:
                pn532.parse_answer(bytes(bad), 0x40)
                taken += 1
            except pn532.Garbage:
                pass
    assert taken == 0


def test_an_answer_cut_short_or_for_another_command_is_garbage():
    good = b"\x01" + chip_frame(b"\x4b\x00")
    for raw in (good[:7], good[:-2], b"\x01" + ACK + bytes(4), b"\x00" + good[1:]):
        try:
            pn532.parse_answer(raw, 0x4A)
        except pn532.Garbage:
            continue
        raise AssertionError("took %r" % raw)
    try:
        pn532.parse_answer(good, 0x40)
    except pn532.Garbage:
        return
    raise AssertionError("took the answer to another command")


def test_a_reader_that_stops_answering_is_reported_silent_within_5_s():
    rig = Rig()
    rig.run(100)
    rig.chip.silent = True
    cards, faults = rig.run(5000)
    assert cards == [] and faults == [fr.FAULT_READER_SILENT] and not rig.reader.healthy()
    rig.chip.silent = False
    rig.chip.field.append(Tag(b"\x04\x01\x02\x03\x04\x05\x06", CARD))
    cards, faults = rig.run(2000, stop_on_card=True)
    assert faults == [fr.FAULT_READER_BACK] and cards == [CARD] and rig.reader.healthy()


def test_a_reader_gone_from_the_bus_is_reported_silent():
    rig = Rig()
    rig.run(100)
    rig.chip.gone = True
    cards, faults = rig.run(5000)
    assert cards == [] and faults == [fr.FAULT_READER_SILENT] and rig.reader.bus_errors > 0


def test_a_slow_chip_is_waited_for_within_its_timeout():
    rig = Rig()
    rig.chip.busy_reads = 20  # 20 ms per answer
    rig.chip.field.append(Tag(b"\x04\x01\x02\x03\x04\x05\x06", CARD))
    cards, faults = rig.run(500, stop_on_card=True)
    assert cards == [CARD] and faults == []


def test_foreign_tags_and_foreign_layouts_are_unreadable():
    rig = Rig()
    rig.chip.field.append(Tag(b"\x01\x02\x03\x04", CARD, sens_res=0x0004, sel_res=0x08))
    cards, faults = rig.run(100)
    assert cards == [] and fr.FAULT_CARD_UNREADABLE in faults
    rig = Rig()
    rig.chip.field.append(Tag(b"\x04\x01\x02\x03\x04\x05\x06", memory=b"\x03\x10\xd1\x01"))
    cards, faults = rig.run(100)
    assert cards == [] and fr.FAULT_CARD_UNREADABLE in faults


# --- the driver inside the node ---------------------------------------------------------


class NodeRig:
    def __init__(self):
        self.chip = PN532Chip()
        self.now = 1000
        self.uart, self.lock = FakeUart(), FakePin()
        self.reader = pn532.PN532(self.chip, clock=lambda: self.now)
        self.node = DoorNode(self.uart, self.lock, FakePin(0), self.reader, 3, now_ms=self.now)
        self.seq, self.ack = 0, 0

    def poll(self):
        """The gateway's POLL, once every 5 ms of node steps; the event it took, if any."""
        for _ in range(5):
            self.now += 1
            self.node.step(self.now)
        self.seq = fr.next_seq(self.seq)
        self.uart.rx += fr.encode(3, self.seq, fr.POLL, fr.encode_poll(self.ack))
        self.now += 1
        self.node.step(self.now)
        reply = self.uart.take_frames()[0]
        if reply.type in fr.EVENTS:
            self.ack, body = fr.decode_event(reply.payload)
            return reply.type, body
        return None


def test_node_reports_a_silent_reader_within_5_s_and_stays_locked():
    rig = NodeRig()
    rig.poll()
    rig.chip.silent = True
    faults, elapsed = [], 0
    while elapsed < 5000 and not faults:
        event = rig.poll()
        elapsed += 6
        if event and event[0] == fr.FAULT:
            faults.append(fr.decode_fault(event[1])[0])
    assert faults == [fr.FAULT_READER_SILENT] and elapsed < 5000
    assert 1 not in rig.lock.history


def test_node_sends_the_card_it_read_and_opens_on_the_decision():
    rig = NodeRig()
    rig.chip.field.append(Tag(b"\x04\x01\x02\x03\x04\x05\x06", CARD))
    for _ in range(100):
        event = rig.poll()
        if event and event[0] == fr.CARD:
            break
    else:
        raise AssertionError("no card reported")
    tap, _flags, _age, card = fr.decode_card(event[1])
    assert card == CARD and rig.lock.level == 0
    rig.uart.rx += fr.encode(3, 200, fr.DECISION, fr.encode_decision(tap, True, 3000, 0))
    rig.now += 1
    rig.node.step(rig.now)
    assert rig.lock.level == 1


def events_of(rig, polls):
    """The node's events over ``polls`` gateway polls, in order."""
    out = []
    for _ in range(polls):
        event = rig.poll()
        if event:
            out.append(event)
    return out


def test_node_reports_a_card_torn_away_as_a_fault_and_stays_locked():
    rig = NodeRig()
    tag = Tag(b"\x04\x01\x02\x03\x04\x05\x06", CARD)
    tag.leave_when_read = True
    rig.chip.field.append(tag)
    events = events_of(rig, 60)
    kinds = [kind for kind, _body in events]
    faults = [fr.decode_fault(body)[0] for kind, body in events if kind == fr.FAULT]
    assert fr.CARD not in kinds and faults == [fr.FAULT_CARD_TORN]
    assert 1 not in rig.lock.history


def test_node_reports_garbage_on_the_reader_bus_as_a_fault_and_stays_locked():
    rig = NodeRig()
    rig.chip.field.append(Tag(b"\x04\x01\x02\x03\x04\x05\x06", CARD))
    rig.chip.noise = noise(200, 11)
    events = events_of(rig, 300)
    kinds = [kind for kind, _body in events]
    faults = [fr.decode_fault(body)[0] for kind, body in events if kind == fr.FAULT]
    assert fr.CARD not in kinds and fr.FAULT_READER_GARBAGE in faults
    assert 1 not in rig.lock.history
