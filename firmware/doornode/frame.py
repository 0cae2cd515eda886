# The gateway <-> door node serial frame, shared by CPython (edge/) and MicroPython.
# Plain Python only: no type hints, no f-strings, nothing MicroPython lacks.
# Layout and message table: docs/serial-frame.md.  Types for CPython: frame.pyi.
import struct

SYNC = b"\xa5\x5a"
HEADER = 7  # sync(2) addr(1) seq(1) type(1) len(2)
TRAILER = 2  # CRC-16/CCITT-FALSE, big-endian
OVERHEAD = HEADER + TRAILER
MAX_PAYLOAD = 512
MAX_CARD = MAX_PAYLOAD - 6  # a CARD reply: event id u16, tap, flags, age u16, card
REPLY = 0x80  # bit 7 of the address byte: set in frames a node sends
BROADCAST = 0x7F  # no node replies to a broadcast
MAX_ADDR = 126

# Commands (gateway -> node).
POLL = 0x01
DECISION = 0x02
UNLOCK = 0x03
FORGET = 0x04
# Replies (node -> gateway); every command gets exactly one, carrying its seq.
ACK = 0x40
NACK = 0x41
CARD = 0x42
DOOR = 0x43
STATUS = 0x44
HEARTBEAT = 0x45
LOCK = 0x46
FAULT = 0x47
EGRESS = 0x48

COMMANDS = (POLL, DECISION, UNLOCK, FORGET)
REPLIES = (ACK, NACK, CARD, DOOR, STATUS, HEARTBEAT, LOCK, FAULT, EGRESS)
EVENTS = (CARD, DOOR, STATUS, LOCK, FAULT, EGRESS)  # replies to POLL that carry an event id

# NACK reasons.
NACK_BAD_PAYLOAD = 1
NACK_UNKNOWN_TYPE = 2

# CARD flags: the node decided by itself (its gateway was silent).
CARD_LOCAL = 0x01
CARD_LOCAL_GRANTED = 0x02

# LOCK flags: the lock's own sensor confirms the state (0: no sensor, the relay's command).
LOCK_SENSED = 0x01

# FAULT codes: what went wrong at the door, never a reason to open it.
FAULT_READER_SILENT = 1  # the card reader stopped answering: the node cannot read cards
FAULT_READER_BACK = 2  # ... and answers again
FAULT_CARD_TORN = 3  # a card left the field before it was read whole
FAULT_TWO_CARDS = 4  # more than one card in the field: none is read
FAULT_READER_GARBAGE = 5  # the reader's bus carried a frame that breaks its protocol
FAULT_CARD_UNREADABLE = 6  # a card that holds no keycard (another kind of tag, wrong layout)
FAULT_LOCK_NO_FEEDBACK = 7  # the lock's sensor did not follow the relay
FAULTS = (1, 2, 3, 4, 5, 6, 7)

try:
    # CPython computes the same CRC in C; MicroPython lacks it and uses the table.
    from binascii import crc_hqx as _crc_hqx  # pyright: ignore[reportAttributeAccessIssue]
except ImportError:
    _crc_hqx = None

_TABLE = None


def _table():
    global _TABLE
    if _TABLE is None:
        table = []
        for byte in range(256):
            crc = byte << 8
            for _ in range(8):
                crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            table.append(crc & 0xFFFF)
        _TABLE = table
    return _TABLE


def crc16(data, crc=0xFFFF):
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor."""
    if _crc_hqx is not None:
        return _crc_hqx(data, crc)
    return crc16_table(data, crc)


def crc16_table(data, crc=0xFFFF):
    """The portable table-driven form (what MicroPython runs)."""
    table = _table()
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[((crc >> 8) ^ byte) & 0xFF]
    return crc


class FrameError(ValueError):
    """A frame or payload that breaks the protocol."""


class Frame:
    def __init__(self, addr, seq, type, payload=b"", reply=False):
        if not 0 <= addr <= BROADCAST:
            raise FrameError("address out of range: %d" % addr)
        if not 0 <= seq <= 255:
            raise FrameError("seq out of range: %d" % seq)
        if not 0 <= type <= 255:
            raise FrameError("type out of range: %d" % type)
        if len(payload) > MAX_PAYLOAD:
            raise FrameError("payload too long: %d" % len(payload))
        self.addr = addr
        self.seq = seq
        self.type = type
        self.payload = bytes(payload)
        self.reply = bool(reply)

    def __eq__(self, other):
        return (
            isinstance(other, Frame)
            and self.addr == other.addr
            and self.seq == other.seq
            and self.type == other.type
            and self.payload == other.payload
            and self.reply == other.reply
        )

    def __repr__(self):
        return "Frame(addr=%d, seq=%d, type=0x%02x, payload=%r, reply=%r)" % (
            self.addr, self.seq, self.type, self.payload, self.reply)

    def encode(self):
        addr = self.addr | (REPLY if self.reply else 0)
        body = struct.pack(">BBBH", addr, self.seq, self.type, len(self.payload)) + self.payload
        return SYNC + body + struct.pack(">H", crc16(body))


def encode(addr, seq, type, payload=b"", reply=False):
    return Frame(addr, seq, type, payload, reply).encode()


class Decoder:
    """Streaming decoder: feed it any bytes, get whole frames back.

    Resyncs after garbage, detects corrupted and cut frames by CRC, rejects oversize
    lengths, and keeps counters of everything it threw away.
    """

    def __init__(self, max_payload=MAX_PAYLOAD):
        self.max_payload = min(max_payload, MAX_PAYLOAD)
        self.buf = b""
        self.frames = 0
        self.crc_errors = 0
        self.oversize = 0
        self.truncated = 0
        self.garbage = 0

    def errors(self):
        return self.crc_errors + self.oversize + self.truncated

    def feed(self, data):
        self.buf = self.buf + bytes(data)
        out = []
        while True:
            frame = self._next()
            if frame is None:
                return out
            out.append(frame)

    def expire(self):
        """The line went quiet: whatever partial frame is buffered will never complete."""
        if self.buf:
            if self.buf.startswith(SYNC):
                self.truncated += 1
            else:
                self.garbage += len(self.buf)
            self.buf = b""

    def _skip(self, count):
        self.garbage += count
        self.buf = self.buf[count:]

    def _next(self):
        while True:
            start = self.buf.find(SYNC)
            if start < 0:
                keep = 1 if self.buf.endswith(SYNC[:1]) else 0
                self._skip(len(self.buf) - keep)
                return None
            if start:
                self._skip(start)
            if len(self.buf) < HEADER:
                return None
            length = (self.buf[5] << 8) | self.buf[6]
            if length > self.max_payload:
                self.oversize += 1
                self.buf = self.buf[1:]
                continue
            end = HEADER + length
            if len(self.buf) < end + TRAILER:
                return None
            got = (self.buf[end] << 8) | self.buf[end + 1]
            if crc16(self.buf[2:end]) != got:
                self.crc_errors += 1
                self.buf = self.buf[1:]
                continue
            frame = self._build(end)
            self.buf = self.buf[end + TRAILER:]
            self.frames += 1
            return frame

    def _build(self, end):
        b = self.buf
        return Frame(b[2] & 0x7F, b[3], b[4], b[HEADER:end], reply=bool(b[2] & REPLY))


def next_seq(seq):
    """Sequence numbers run 1..255 and wrap; 0 is sent only as the first after a start."""
    return 1 if seq >= 255 else seq + 1


class ReplyCache:
    """A node's answer to retries: the same seq again gets the same reply, not a rerun."""

    def __init__(self):
        self.seq = -1
        self.reply = None
        self.duplicates = 0

    def lookup(self, seq):
        if seq != 0 and seq == self.seq and self.reply is not None:
            self.duplicates += 1
            return self.reply
        return None

    def remember(self, seq, reply):
        self.seq = seq
        self.reply = reply


def _need(payload, size, what):
    if len(payload) != size:
        raise FrameError("%s payload must be %d bytes, got %d" % (what, size, len(payload)))


def _u16(value, what):
    if not 0 <= value <= 0xFFFF:
        raise FrameError("%s out of range: %d" % (what, value))
    return value


def encode_poll(ack):
    """POLL carries the id of the last event the gateway took (0: none yet)."""
    return struct.pack(">H", _u16(ack, "ack"))


def decode_poll(payload):
    if not payload:
        return 0
    _need(payload, 2, "POLL")
    return struct.unpack(">H", payload)[0]


def encode_event(event_id, body):
    """CARD, DOOR and STATUS replies start with the node's event id (1..65535)."""
    if not 1 <= event_id <= 0xFFFF:
        raise FrameError("event id out of range: %d" % event_id)
    return struct.pack(">H", event_id) + body


def decode_event(payload):
    if len(payload) < 2 or (payload[0] | payload[1]) == 0:
        raise FrameError("event reply without an event id")
    return struct.unpack(">H", payload[:2])[0], bytes(payload[2:])


def next_event_id(event_id):
    return 1 if event_id >= 0xFFFF else event_id + 1


def encode_decision(tap, granted, unlock_ms, remember_s):
    return struct.pack(">BBHH", tap & 0xFF, 1 if granted else 0,
                       _u16(unlock_ms, "unlock_ms"), _u16(remember_s, "remember_s"))


def decode_decision(payload):
    _need(payload, 6, "DECISION")
    tap, granted, unlock_ms, remember_s = struct.unpack(">BBHH", payload)
    if granted > 1:
        raise FrameError("DECISION granted flag must be 0 or 1")
    return tap, granted == 1, unlock_ms, remember_s


def encode_unlock(unlock_ms):
    return struct.pack(">H", _u16(unlock_ms, "unlock_ms"))


def decode_unlock(payload):
    _need(payload, 2, "UNLOCK")
    return struct.unpack(">H", payload)[0]


def encode_card(tap, flags, age_ms, card):
    if not 1 <= len(card) <= MAX_CARD:
        raise FrameError("card must be 1..%d bytes" % MAX_CARD)
    return struct.pack(">BBH", tap & 0xFF, flags & 0xFF, min(age_ms, 0xFFFF)) + bytes(card)


def decode_card(payload):
    if len(payload) < 5:
        raise FrameError("CARD payload must carry at least one card byte")
    tap, flags, age_ms = struct.unpack(">BBH", payload[:4])
    return tap, flags, age_ms, bytes(payload[4:])


def encode_door(is_open, age_ms):
    return struct.pack(">BH", 1 if is_open else 0, min(age_ms, 0xFFFF))


def decode_door(payload):
    _need(payload, 3, "DOOR")
    state, age_ms = struct.unpack(">BH", payload)
    if state > 1:
        raise FrameError("DOOR state must be 0 or 1")
    return state == 1, age_ms


def encode_status(battery_mv, rx_errors, duplicates):
    return struct.pack(">HHH", _u16(battery_mv, "battery_mv"),
                       min(rx_errors, 0xFFFF), min(duplicates, 0xFFFF))


def decode_status(payload):
    _need(payload, 6, "STATUS")
    return struct.unpack(">HHH", payload)


def encode_heartbeat(uptime_s, allowlist_len):
    return struct.pack(">IB", uptime_s & 0xFFFFFFFF, min(allowlist_len, 255))


def decode_heartbeat(payload):
    _need(payload, 5, "HEARTBEAT")
    return struct.unpack(">IB", payload)


def decode_nack(payload):
    _need(payload, 1, "NACK")
    return payload[0]


def encode_lock(locked, flags, age_ms):
    return struct.pack(">BBH", 1 if locked else 0, flags & 0xFF, min(age_ms, 0xFFFF))


def decode_lock(payload):
    _need(payload, 4, "LOCK")
    locked, flags, age_ms = struct.unpack(">BBH", payload)
    if locked > 1:
        raise FrameError("LOCK state must be 0 or 1")
    return locked == 1, flags, age_ms


def encode_fault(code, age_ms):
    return struct.pack(">BH", code & 0xFF, min(age_ms, 0xFFFF))


def decode_fault(payload):
    _need(payload, 3, "FAULT")
    code, age_ms = struct.unpack(">BH", payload)
    if code not in FAULTS:
        raise FrameError("unknown FAULT code %d" % code)
    return code, age_ms


def encode_egress(age_ms):
    return struct.pack(">H", min(age_ms, 0xFFFF))


def decode_egress(payload):
    _need(payload, 2, "EGRESS")
    return struct.unpack(">H", payload)[0]
