# portable: runs under CPython (pytest) and inside MicroPython (test_fw_micropython.py).
# ruff: noqa: UP031  (MicroPython runs this file too: plain % formatting)
try:
    from doornode import frame as fr
    from doornode.allowlist import Allowlist
    from doornode.node import DoorNode
except ImportError:
    from firmware.doornode import frame as fr
    from firmware.doornode.allowlist import Allowlist
    from firmware.doornode.node import DoorNode

from fw_fakes import FakePin, FakeReader, FakeUart

ADDR = 5
CARD = b"\x04\x11\x22\x33card"


class Rig:
    """A node on fake hardware, with the gateway's side of the bus in the test's hands."""

    def __init__(self, **options):
        self.uart = FakeUart()
        self.lock = FakePin()
        self.contact = FakePin(0)
        self.reader = FakeReader()
        self.now = 1000
        self.seq = 0
        self.ack = 0  # id of the last event taken, as the gateway keeps it
        self.node = DoorNode(self.uart, self.lock, self.contact, self.reader, ADDR,
                             battery=lambda: 3712, now_ms=self.now, **options)
        self.step(0)
        self.uart.tx = []

    def step(self, ms=1):
        self.now += ms
        self.node.step(self.now)

    def command(self, kind, payload=b"", seq=None, addr=ADDR):
        if seq is None:
            self.seq = fr.next_seq(self.seq)
            seq = self.seq
        self.uart.rx += fr.encode(addr, seq, kind, payload)
        self.step()
        return self.uart.take_frames()

    def poll(self, seq=None):
        """POLL acknowledging the last event taken; takes the event it gets back."""
        replies = self.command(fr.POLL, fr.encode_poll(self.ack), seq=seq)
        if replies and replies[0].type in fr.EVENTS:
            self.ack = fr.decode_event(replies[0].payload)[0]
        return replies

    def poll_until(self, kind, tries=10):
        for _ in range(tries):
            replies = self.poll()
            if replies and replies[0].type == kind:
                return replies[0]
        raise AssertionError("no reply of type 0x%02x" % kind)

    def drain(self):
        for _ in range(20):
            if self.poll()[0].type == fr.HEARTBEAT:
                return
        raise AssertionError("queue never drained")


def body(reply):
    return fr.decode_event(reply.payload)[1]


def test_idle_poll_gets_a_heartbeat_with_the_same_seq():
    rig = Rig()
    rig.drain()
    replies = rig.poll(seq=42)
    assert len(replies) == 1
    reply = replies[0]
    assert reply.reply and reply.addr == ADDR and reply.seq == 42 and reply.type == fr.HEARTBEAT


def test_boot_reports_status_with_battery_and_door_state():
    rig = Rig()
    rig.step(40)
    status = rig.poll_until(fr.STATUS)
    assert fr.decode_status(body(status))[0] == 3712
    door = rig.poll_until(fr.DOOR)
    assert fr.decode_door(body(door))[0] is False


def test_tap_is_reported_and_a_granted_decision_unlocks_then_relocks():
    rig = Rig()
    rig.drain()
    rig.reader.cards.append(CARD)
    rig.step()
    card = rig.poll_until(fr.CARD)
    tap, flags, _age, got = fr.decode_card(body(card))
    assert got == CARD and flags == 0
    ack = rig.command(fr.DECISION, fr.encode_decision(tap, True, 3000, 0))
    assert ack[0].type == fr.ACK
    assert rig.lock.level == 1 and rig.node.unlocked()
    rig.step(2999)
    assert rig.lock.level == 1
    rig.step(2)
    assert rig.lock.level == 0 and not rig.node.unlocked()


def test_refused_decision_keeps_the_door_locked():
    rig = Rig()
    rig.drain()
    rig.reader.cards.append(CARD)
    rig.step()
    tap = fr.decode_card(body(rig.poll_until(fr.CARD)))[0]
    rig.command(fr.DECISION, fr.encode_decision(tap, False, 0, 0))
    assert rig.lock.level == 0


def test_repeated_command_gets_the_same_reply_and_is_not_executed_twice():
    rig = Rig()
    rig.drain()
    first = rig.command(fr.UNLOCK, fr.encode_unlock(1000), seq=77)
    rig.step(1001)
    assert rig.lock.level == 0
    again = rig.command(fr.UNLOCK, fr.encode_unlock(1000), seq=77)
    assert again == first and rig.lock.level == 0
    assert rig.node.replies.duplicates == 1


def test_event_is_resent_until_a_poll_acknowledges_its_id():
    rig = Rig()
    rig.drain()
    rig.reader.cards.append(CARD)
    rig.step()
    ack = fr.encode_poll(rig.ack)
    first = rig.command(fr.POLL, ack, seq=10)[0]
    lost_retry = rig.command(fr.POLL, ack, seq=10)[0]
    assert first.type == fr.CARD and lost_retry == first
    after_restart = rig.command(fr.POLL, fr.encode_poll(0), seq=0)[0]
    assert after_restart.type == fr.CARD
    assert rig.command(fr.POLL, ack, seq=11)[0].type == fr.CARD  # new seq, old ack: again
    card_id = fr.decode_event(first.payload)[0]
    assert rig.command(fr.POLL, fr.encode_poll(card_id), seq=12)[0].type == fr.HEARTBEAT


def test_event_ids_count_up_from_a_fresh_start_each_boot():
    a, b = Rig(), Rig()
    a.step(40)
    first = fr.decode_event(a.poll_until(fr.STATUS).payload)[0]
    second = fr.decode_event(a.poll_until(fr.DOOR).payload)[0]
    assert second == fr.next_event_id(first)
    assert a.node.event_id != b.node.event_id or a.node.event_id != 1


def test_frames_for_other_nodes_and_replies_are_ignored():
    rig = Rig()
    assert rig.command(fr.POLL, fr.encode_poll(0), addr=ADDR + 1) == []
    rig.uart.rx += fr.encode(ADDR, 3, fr.HEARTBEAT, fr.encode_heartbeat(1, 0), reply=True)
    rig.step()
    assert rig.uart.take_frames() == []


def test_broadcast_forget_is_obeyed_without_a_reply():
    rig = Rig()
    rig.node.allowlist.remember(CARD, rig.now, 60000)
    assert rig.command(fr.FORGET, b"", addr=fr.BROADCAST) == []
    assert len(rig.node.allowlist) == 0


def test_bad_payload_and_unknown_type_are_nacked():
    rig = Rig()
    bad = rig.command(fr.DECISION, b"\x01")[0]
    assert bad.type == fr.NACK and fr.decode_nack(bad.payload) == fr.NACK_BAD_PAYLOAD
    unknown = rig.command(0x3F)[0]
    assert unknown.type == fr.NACK and fr.decode_nack(unknown.payload) == fr.NACK_UNKNOWN_TYPE


def test_cut_off_node_opens_for_a_recently_granted_card_only():
    rig = Rig(link_timeout_ms=500)
    rig.drain()
    rig.reader.cards.append(CARD)
    rig.step()
    tap = fr.decode_card(body(rig.poll_until(fr.CARD)))[0]
    rig.command(fr.DECISION, fr.encode_decision(tap, True, 1000, 3600))
    rig.step(5000)  # gateway silent: link down, lock back shut
    assert not rig.node.link_up(rig.now) and rig.lock.level == 0
    rig.reader.cards.append(CARD)
    rig.step()
    assert rig.lock.level == 1
    rig.step(6000)
    rig.reader.cards.append(b"stranger")
    rig.step()
    assert rig.lock.level == 0
    flags = [fr.decode_card(body(f))[1] for f in _drain_cards(rig)]
    assert flags == [fr.CARD_LOCAL | fr.CARD_LOCAL_GRANTED, fr.CARD_LOCAL]


def _drain_cards(rig):
    cards = []
    for _ in range(20):
        reply = rig.poll()[0]
        if reply.type == fr.CARD:
            cards.append(reply)
        elif reply.type == fr.HEARTBEAT:
            return cards
    return cards


def test_gateway_too_slow_falls_back_on_the_allowlist():
    rig = Rig(decision_timeout_ms=300)
    rig.drain()
    rig.node.allowlist.remember(CARD, rig.now, 60000)
    rig.reader.cards.append(CARD)
    rig.step()
    rig.step(301)
    assert rig.lock.level == 1


def test_card_held_on_the_reader_is_one_tap():
    rig = Rig()
    rig.drain()
    rig.reader.cards.extend([CARD, CARD])
    rig.step()
    rig.step(100)
    assert len(_drain_cards(rig)) == 1


def test_door_contact_change_is_debounced_then_reported():
    rig = Rig()
    rig.step(40)
    rig.drain()
    rig.contact.level = 1
    rig.step(5)
    rig.contact.level = 0
    rig.step(5)
    rig.contact.level = 1
    rig.step(5)
    rig.step(40)
    door = rig.poll_until(fr.DOOR)
    is_open, age = fr.decode_door(body(door))
    assert is_open and age >= 30


def test_allowlist_is_bounded_and_entries_expire():
    allow = Allowlist(capacity=2)
    allow.remember(b"a", 0, 1000)
    allow.remember(b"b", 0, 5000)
    allow.remember(b"c", 0, 5000)
    assert not allow.allows(b"a", 10) and allow.allows(b"b", 10)
    assert not allow.allows(b"b", 5000) and len(allow) == 0


def test_event_queue_is_bounded_and_counts_what_it_dropped():
    rig = Rig(queue_size=2)
    rig.step(40)
    for i in range(5):
        rig.reader.cards.append(bytes([i + 1]))
        rig.step()
    assert len(rig.node.queue) == 2 and rig.node.dropped > 0


def test_full_queue_drops_door_and_status_reports_before_taps():
    rig = Rig(queue_size=3)
    rig.step(40)  # lock, status and door reports queued
    rig.reader.cards.append(b"tap-1")
    rig.step()
    rig.reader.cards.append(b"tap-2")
    rig.step()
    kinds = [item[0] for item in rig.node.queue]
    assert kinds.count(fr.CARD) == 2 and len(kinds) == 3 and rig.node.dropped == 2


def test_oversized_card_is_counted_and_never_queued():
    rig = Rig()
    rig.drain()
    rig.reader.cards.append(b"x" * (fr.MAX_CARD + 1))
    rig.step()
    assert rig.node.bad_cards == 1 and rig.poll()[0].type == fr.HEARTBEAT
    rig.reader.cards.append(b"y" * fr.MAX_CARD)
    rig.step()
    card = rig.poll_until(fr.CARD)
    assert fr.decode_card(body(card))[3] == b"y" * fr.MAX_CARD
