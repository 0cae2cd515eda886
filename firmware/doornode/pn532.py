# NXP PN532 card reader over I2C (UM0701-02 user manual, section 6: host frames, ACK, I2C ready
# byte). The chip does the ISO 14443-A anti-collision itself; the driver lists up to two tags,
# refuses to read when two are in the field, and reads the keycard from an NTAG21x with one
# FAST_READ. It never blocks the node's loop: read() does at most four short I2C transfers
# (about 0.5 ms at 400 kHz, the card's memory 3.4 ms once) and returns card bytes once a whole
# card was read, else None. What goes wrong is counted and
# offered as a fault code (frame.FAULT_*) through fault(); none of it ever yields a card.
from . import frame as fr
from . import ntag
from .clock import ticks_add, ticks_diff, ticks_ms

ADDRESS = 0x24
HOST, CHIP = 0xD4, 0xD5
ACK_FRAME = b"\x00\x00\xff\x00\xff\x00"

GET_FIRMWARE_VERSION = 0x02
SAM_CONFIGURATION = 0x14
RF_CONFIGURATION = 0x32
IN_DATA_EXCHANGE = 0x40
IN_LIST_PASSIVE_TARGET = 0x4A

ACK_MS = 30  # the chip acknowledges a frame within about 1 ms
ANSWER_MS = 150  # listing with one activation retry, or a FAST_READ of 34 pages, is ~20 ms
SILENT_MS = 2000  # no valid answer for this long: the reader is reported silent
RETRY_MS = 250  # after a failure, wait this long before waking the chip again
IDLE_MS = 0  # between two listings of an empty field (the chip's own retry takes ~2 ms)
GARBAGE_EVERY_MS = 5000  # a garbage fault at most this often (the counter keeps every one)

# What the driver is doing.
WAKE, SAM, RF, LIST, READ, PAUSE = 0, 1, 2, 3, 4, 5
# A command's phases.
_ACK, _ANSWER = 0, 1


class Garbage(Exception):
    """The chip's answer breaks the frame protocol."""


def host_frame(command, data=b""):
    """A normal information frame from host to chip: preamble, start code, LEN, LCS, TFI,
    command, data, DCS, postamble."""
    body = bytes([HOST, command]) + bytes(data)
    if len(body) > 254:
        raise ValueError("frame too long")
    dcs = (-sum(body)) & 0xFF
    return b"\x00\x00\xff" + bytes([len(body), (-len(body)) & 0xFF]) + body + bytes([dcs, 0])


def parse_answer(raw, command):
    """The data of the chip's answer to ``command`` from an I2C read (ready byte first)."""
    if len(raw) < 8 or raw[0] & 1 == 0:
        raise Garbage("not ready")
    start = bytes(raw[1:]).find(b"\x00\xff")
    if start < 0 or start > 2:
        raise Garbage("no start code")
    i = 1 + start + 2
    length, lcs = raw[i], raw[i + 1]
    if (length + lcs) & 0xFF:
        raise Garbage("length checksum")
    if length < 2:
        raise Garbage("ACK, NACK or extended frame where an answer was due")
    body = bytes(raw[i + 2:i + 2 + length])
    if len(body) < length or i + 2 + length >= len(raw):
        raise Garbage("answer cut short")
    if (sum(body) + raw[i + 2 + length]) & 0xFF:
        raise Garbage("data checksum")
    if body[0] == 0x7F:
        raise Garbage("application error frame")
    if body[0] != CHIP or body[1] != command + 1:
        raise Garbage("answer to another command")
    return body[2:]


def parse_targets(data):
    """InListPassiveTarget's answer: [(tg, sens_res, sel_res, uid)] of type A targets."""
    if not data or data[0] > 2:
        raise Garbage("target count")
    targets, i = [], 1
    for _ in range(data[0]):
        if i + 5 > len(data):
            raise Garbage("target cut short")
        tg, sens, sel, size = data[i], (data[i + 1] << 8) | data[i + 2], data[i + 3], data[i + 4]
        if size not in (4, 7, 10) or i + 5 + size > len(data):
            raise Garbage("UID length")
        targets.append((tg, sens, sel, bytes(data[i + 5:i + 5 + size])))
        i += 5 + size
        if sel & 0x20 and i < len(data):
            i += data[i]  # ATS (ISO 14443-4 tags): its first byte is its length
    return targets


class PN532:
    def __init__(self, i2c, address=ADDRESS, clock=ticks_ms, ack_ms=ACK_MS, answer_ms=ANSWER_MS,
                 silent_ms=SILENT_MS, retry_ms=RETRY_MS, idle_ms=IDLE_MS):
        self.i2c, self.address, self.clock = i2c, address, clock
        self.ack_ms, self.answer_ms, self.silent_ms = ack_ms, answer_ms, silent_ms
        self.retry_ms, self.idle_ms = retry_ms, idle_ms
        now = clock()
        self.state = WAKE
        self.command = None  # [command, phase, deadline, answer size] while one is out
        self.resume_at = now
        self.last_ok = now
        self.is_healthy = True
        self.faults = []
        self.crowded = False  # two cards seen: reported once until the field changes
        self.last_garbage = None
        self.cards = self.torn = self.collisions = self.garbage = self.timeouts = 0
        self.bus_errors = self.unreadable = 0

    def healthy(self):
        return self.is_healthy

    def fault(self):
        """The oldest fault not yet taken (a frame.FAULT_* code), or None."""
        return self.faults.pop(0) if self.faults else None

    def read(self):
        now = self.clock()
        card = None
        try:
            card = self._step(now)
        except Garbage:
            self._garbage(now)
        except OSError:
            self.bus_errors += 1  # the chip NACKs its address or the bus is stuck
            self._restart(now)
        self._watch_health(now)
        return card

    # --- the script --------------------------------------------------------------------

    def _step(self, now):
        command = self.command
        if command is not None:
            answer = self._poll(command, now)
            if answer is None:
                return None
            card = self._on_answer(answer, now)
            if card is not None or self.command is not None:
                return card
        if ticks_diff(now, self.resume_at) < 0:
            return None
        if self.state == PAUSE:
            self.state = WAKE
        if self.state == WAKE:
            self._send(GET_FIRMWARE_VERSION, b"", 16, now)
        elif self.state == SAM:
            self._send(SAM_CONFIGURATION, b"\x01\x14\x00", 12, now)  # normal mode, no IRQ pin
        elif self.state == RF:
            # MaxRetries: ATR 0xFF, PSL 1, passive activation 1, so an empty field answers fast
            self._send(RF_CONFIGURATION, b"\x05\xff\x01\x01", 12, now)
        elif self.state == LIST:
            self._send(IN_LIST_PASSIVE_TARGET, b"\x02\x00", 64, now)  # two tags, 106 kbps type A
        elif self.state == READ:
            request = bytes([1, ntag.FAST_READ, ntag.FIRST_PAGE, ntag.LAST_PAGE])
            self._send(IN_DATA_EXCHANGE, request, 12 + ntag.USER_BYTES, now)
        return None

    def _on_answer(self, data, now):
        state = self.state
        if state == WAKE:
            if len(data) != 4 or data[0] != 0x32:
                raise Garbage("not a PN532")
            self.state = SAM
        elif state == SAM:
            self.state = RF
        elif state == RF:
            self.state = LIST
        elif state == LIST:
            self._on_targets(parse_targets(data), now)
        elif state == READ:
            self.state, self.resume_at = LIST, ticks_add(now, self.idle_ms)
            return self._on_memory(data)
        return None

    def _on_targets(self, targets, now):
        self.resume_at = ticks_add(now, self.idle_ms)
        if len(targets) > 1:
            if not self.crowded:
                self.crowded = True
                self.collisions += 1
                self.faults.append(fr.FAULT_TWO_CARDS)
            return
        self.crowded = False
        if not targets:
            return
        _tg, sens, sel, _uid = targets[0]
        if not ntag.is_ntag(sens, sel):
            self._unreadable()
            return
        self.state, self.resume_at = READ, now  # read at once: the card is in the field now

    def _on_memory(self, data):
        if not data or data[0] & 0x3F:
            self.torn += 1  # timeout, CRC or framing error: the card left mid-read
            self.faults.append(fr.FAULT_CARD_TORN)
            return None
        try:
            card = ntag.unwrap(data[1:])
        except ntag.TagError:
            self._unreadable()
            return None
        self.cards += 1
        return card

    def _unreadable(self):
        self.unreadable += 1
        self.faults.append(fr.FAULT_CARD_UNREADABLE)

    # --- one command: frame out, ACK back, answer back ---------------------------------

    def _send(self, command, data, size, now):
        self.i2c.writeto(self.address, host_frame(command, data))
        self.command = [command, _ACK, ticks_add(now, self.ack_ms), size]

    def _poll(self, command, now):
        if command[1] == _ACK:
            raw = self.i2c.readfrom(self.address, 1 + len(ACK_FRAME))
            if raw[0] & 1:
                if bytes(raw[1:]) != ACK_FRAME:
                    raise Garbage("no ACK")
                command[1], command[2] = _ANSWER, ticks_add(now, self.answer_ms)
        if command[1] == _ANSWER:
            ready = self.i2c.readfrom(self.address, 1)
            if ready[0] & 1:
                raw = self.i2c.readfrom(self.address, command[3])
                self.command = None
                answer = parse_answer(raw, command[0])
                self.last_ok = now
                return answer
        if ticks_diff(now, command[2]) >= 0:
            self.timeouts += 1
            self._restart(now)
        return None

    def _garbage(self, now):
        self.garbage += 1
        if self.last_garbage is None or ticks_diff(now, self.last_garbage) >= GARBAGE_EVERY_MS:
            self.last_garbage = now
            self.faults.append(fr.FAULT_READER_GARBAGE)
        self._restart(now)

    def _restart(self, now):
        """Forget the command in flight and wake the chip again after a pause."""
        self.command = None
        self.state, self.resume_at = PAUSE, ticks_add(now, self.retry_ms)

    def _watch_health(self, now):
        silent = ticks_diff(now, self.last_ok) >= self.silent_ms
        if silent and self.is_healthy:
            self.is_healthy = False
            self.faults.append(fr.FAULT_READER_SILENT)
        elif not silent and not self.is_healthy:
            self.is_healthy = True
            self.faults.append(fr.FAULT_READER_BACK)
