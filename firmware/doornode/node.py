# The door node: answers its gateway over the RS-485 bus, reads cards, drives the lock,
# reports the door contact, the lock's state, the inside handle, faults and battery. Hardware
# comes in from outside (micropython-lib style): uart has any()/read(n)/write(b); lock,
# contact, lock_sense, handle and de are Pins (value()); reader.read() returns card bytes or
# None (a reader may also offer fault() -> frame.FAULT_* code or None, as pn532.PN532 does);
# battery() returns millivolts or None.
from . import frame as fr
from .allowlist import Allowlist
from .clock import ticks_add, ticks_diff
from .lock import FEEDBACK_MS, Lock

REREAD_MS = 700  # the same card seen again within this is still the same tap
DEBOUNCE_MS = 30
QUIET_MS = 20  # a partial frame older than this was cut


def _random_event_id(now_ms):
    """Event ids start somewhere new at each boot, so a gateway's old ack matches none."""
    try:
        import os

        seed = os.urandom(2)
        value = (seed[0] << 8) | seed[1]
    except (ImportError, AttributeError, NotImplementedError, OSError):
        value = now_ms
    return (value & 0xFFFF) or 1


class DoorNode:
    def __init__(self, uart, lock, contact, reader, address, battery=None, de=None,
                 now_ms=0, lock_active=1, open_level=1, local_unlock_ms=5000,
                 link_timeout_ms=2000, decision_timeout_ms=500, allowlist_size=16,
                 queue_size=8, status_every_ms=60000, reread_ms=REREAD_MS,
                 first_event_id=None, lock_sense=None, sense_unlocked=1, handle=None,
                 handle_level=0, feedback_ms=FEEDBACK_MS):
        if not 1 <= address <= fr.MAX_ADDR:
            raise ValueError("node address must be 1..%d" % fr.MAX_ADDR)
        self.uart, self.lock, self.contact, self.reader = uart, lock, contact, reader
        self.reader_fault = getattr(reader, "fault", None)
        self.handle, self.handle_level = handle, handle_level
        self.address, self.battery, self.de = address, battery, de
        self.lock_active, self.open_level = lock_active, open_level
        self.local_unlock_ms = local_unlock_ms
        self.link_timeout_ms = link_timeout_ms
        self.decision_timeout_ms = decision_timeout_ms
        self.queue_size, self.status_every_ms = queue_size, status_every_ms
        self.reread_ms = reread_ms
        self.allowlist = Allowlist(allowlist_size)
        self.decoder = fr.Decoder()
        self.replies = fr.ReplyCache()
        self.queue = []  # [type, created_ms, data, payload once sent, event id], oldest first
        self.event_id = first_event_id or _random_event_id(now_ms)
        self.dropped = 0
        self.bad_cards = 0
        self.tap = 0
        self.pending = None  # [tap, card, deadline] while waiting for a decision
        self.last_card = None
        self.last_card_at = now_ms
        self.last_rx = now_ms
        self.last_cmd = None
        self.relock_at = None
        self.uptime_ms = 0
        self.last_step = now_ms
        self.next_status = now_ms
        self.door_open = None
        self.raw_open = None
        self.raw_since = now_ms
        self.handle_raw = False
        self.handle_since = now_ms
        self.handle_on = False
        self.lockd = Lock(lock, self._queue, now_ms, active=lock_active, sense=lock_sense,
                          sense_unlocked=sense_unlocked, feedback_ms=feedback_ms)

    # --- the loop --------------------------------------------------------------------

    def step(self, now_ms):
        """One pass: serial in, reader, contact, timers. Never blocks."""
        self.uptime_ms += max(0, ticks_diff(now_ms, self.last_step))
        self.last_step = now_ms
        self._receive(now_ms)
        card = self.reader.read()
        if card:
            self._on_card(bytes(card), now_ms)
        if self.reader_fault is not None:
            code = self.reader_fault()
            while code is not None:
                self._queue(fr.FAULT, code, now_ms)
                code = self.reader_fault()
        self._watch_contact(now_ms)
        self._watch_handle(now_ms)
        self._timers(now_ms)
        self.lockd.check(now_ms)

    def link_up(self, now_ms):
        return self.last_cmd is not None and \
            ticks_diff(now_ms, self.last_cmd) < self.link_timeout_ms

    def unlocked(self):
        return bool(self.lockd.commanded)

    # --- serial ----------------------------------------------------------------------

    def _receive(self, now_ms):
        count = self.uart.any()
        if not count:
            if self.decoder.buf and ticks_diff(now_ms, self.last_rx) > QUIET_MS:
                self.decoder.expire()
            return
        self.last_rx = now_ms
        for frame in self.decoder.feed(self.uart.read(count) or b""):
            if frame.reply or frame.addr not in (self.address, fr.BROADCAST):
                continue  # another node's reply, our own echo, or not for us
            self._on_command(frame, now_ms)

    def _on_command(self, frame, now_ms):
        self.last_cmd = now_ms
        if frame.addr == self.address:
            cached = self.replies.lookup(frame.seq)
            if cached is not None:
                self._send(cached)  # the gateway missed our reply: same answer again
                return
        try:
            rtype, payload = self._execute(frame, now_ms)
        except fr.FrameError:
            rtype, payload = fr.NACK, bytes([fr.NACK_BAD_PAYLOAD])
        if frame.addr == fr.BROADCAST:
            return
        reply = fr.encode(self.address, frame.seq, rtype, payload, reply=True)
        self.replies.remember(frame.seq, reply)
        self._send(reply)

    def _execute(self, frame, now_ms):
        kind = frame.type
        if kind == fr.POLL:
            ack = fr.decode_poll(frame.payload)
            queue = self.queue
            if queue and queue[0][3] is not None and queue[0][4] == ack:
                queue.pop(0)  # the gateway has it: only now is it forgotten
            return self._next_event(now_ms)
        if kind == fr.DECISION:
            self._on_decision(fr.decode_decision(frame.payload), now_ms)
        elif kind == fr.UNLOCK:
            self.unlock(fr.decode_unlock(frame.payload), now_ms)
        elif kind == fr.FORGET:
            self.allowlist.forget(frame.payload or None)
        else:
            return fr.NACK, bytes([fr.NACK_UNKNOWN_TYPE])
        return fr.ACK, b""

    def _send(self, data):
        if self.de is not None:
            self.de.value(1)
        self.uart.write(data)
        if self.de is not None:
            flush = getattr(self.uart, "flush", None)
            if flush is not None:
                flush()  # keep the driver on until the last stop bit is out
            self.de.value(0)

    # --- events ----------------------------------------------------------------------

    def _queue(self, kind, data, now_ms):
        self.event_id = fr.next_event_id(self.event_id)
        self.queue.append([kind, now_ms, data, None, self.event_id])
        while len(self.queue) > self.queue_size:
            self.queue.pop(self._victim())
            self.dropped += 1

    def _victim(self):
        """What to drop from a full queue: never what is on its way, taps last."""
        first = 1 if self.queue[0][3] is not None else 0
        for i in range(first, len(self.queue)):
            if self.queue[i][0] != fr.CARD:
                return i
        return first

    def _next_event(self, now_ms):
        if not self.queue:
            return fr.HEARTBEAT, fr.encode_heartbeat(self.uptime_ms // 1000, len(self.allowlist))
        item = self.queue[0]
        if item[3] is None:
            body = self._payload(item[0], ticks_diff(now_ms, item[1]), item[2])
            item[3] = fr.encode_event(item[4], body)
        return item[0], item[3]

    def _payload(self, kind, age_ms, data):
        if kind == fr.CARD:
            return fr.encode_card(data[0], data[1], age_ms, data[2])
        if kind == fr.DOOR:
            return fr.encode_door(data, age_ms)
        if kind == fr.LOCK:
            return fr.encode_lock(data[0], data[1], age_ms)
        if kind == fr.FAULT:
            return fr.encode_fault(data, age_ms)
        if kind == fr.EGRESS:
            return fr.encode_egress(age_ms)
        mv = self.battery() if self.battery is not None else None
        return fr.encode_status(0xFFFF if mv is None else min(max(mv, 0), 0xFFFE),
                                self.decoder.errors(), self.replies.duplicates)

    # --- cards and the lock ----------------------------------------------------------

    def _on_card(self, card, now_ms):
        if len(card) > fr.MAX_CARD:
            self.bad_cards += 1  # no keycard of ours is that long: never let it jam the queue
            return
        if card == self.last_card and ticks_diff(now_ms, self.last_card_at) < self.reread_ms:
            self.last_card_at = now_ms
            return
        self.last_card, self.last_card_at = card, now_ms
        self.tap = (self.tap + 1) & 0xFF
        data = [self.tap, 0, card]
        if self.link_up(now_ms):
            self.pending = [self.tap, card, ticks_add(now_ms, self.decision_timeout_ms), data]
        else:
            self._decide_locally(card, data, now_ms)
        self._queue(fr.CARD, data, now_ms)

    def _decide_locally(self, card, data, now_ms):
        granted = self.allowlist.allows(card, now_ms)
        data[1] = fr.CARD_LOCAL | (fr.CARD_LOCAL_GRANTED if granted else 0)
        if granted:
            self.unlock(self.local_unlock_ms, now_ms)

    def _on_decision(self, decision, now_ms):
        tap, granted, unlock_ms, remember_s = decision
        pending = self.pending
        if pending is not None and pending[0] == tap:
            self.pending = None
            if granted:
                self.unlock(unlock_ms, now_ms)
            card = pending[1]
            if granted and remember_s:
                self.allowlist.remember(card, now_ms, remember_s * 1000)
            else:
                self.allowlist.forget(card)
        elif not granted and self.last_card is not None and tap == self.tap:
            self.allowlist.forget(self.last_card)  # late, but a refusal still counts

    def unlock(self, unlock_ms, now_ms):
        if unlock_ms <= 0:
            return
        self.lockd.drive(True, now_ms)
        self.relock_at = ticks_add(now_ms, unlock_ms)

    # --- contact and timers ----------------------------------------------------------

    def _watch_contact(self, now_ms):
        raw = self.contact.value() == self.open_level
        if raw != self.raw_open:
            self.raw_open, self.raw_since = raw, now_ms
            return
        if raw != self.door_open and ticks_diff(now_ms, self.raw_since) >= DEBOUNCE_MS:
            self.door_open = raw
            self._queue(fr.DOOR, raw, self.raw_since)

    def _watch_handle(self, now_ms):
        """The inside handle or exit button: a guest leaving, so the door opening is no break-in."""
        if self.handle is None:
            return
        raw = self.handle.value() == self.handle_level
        if raw != self.handle_raw:
            self.handle_raw, self.handle_since = raw, now_ms
            return
        if raw != self.handle_on and ticks_diff(now_ms, self.handle_since) >= DEBOUNCE_MS:
            self.handle_on = raw
            if raw:
                self._queue(fr.EGRESS, None, self.handle_since)

    def _timers(self, now_ms):
        if self.relock_at is not None and ticks_diff(now_ms, self.relock_at) >= 0:
            self.relock_at = None
            self.lockd.drive(False, now_ms)
        pending = self.pending
        if pending is not None and ticks_diff(now_ms, pending[2]) >= 0:
            self.pending = None  # the gateway is too slow: fall back on what we know
            self._decide_locally(pending[1], pending[3], now_ms)
        if ticks_diff(now_ms, self.next_status) >= 0:
            self.next_status = ticks_add(now_ms, self.status_every_ms)
            self._queue(fr.STATUS, None, now_ms)
        self.allowlist.expire(now_ms)
