# portable: a simulated PN532 on an I2C bus, answering at the frame level as UM0701-02 says.
#
# The host writes normal information frames (00 00 FF LEN LCS D4 cmd data DCS 00); a frame
# whose checksums do not add up is ignored, as the chip does (no ACK). A good frame is
# acknowledged (00 00 FF 00 FF 00), then answered (TFI D5, cmd + 1). Every I2C read starts
# with the ready byte (0x01 ready, 0x00 busy); a read consumes what is ready. Tags in the
# field answer InListPassiveTarget (the chip's anti-collision finds up to MaxTg of them) and,
# once listed, InDataExchange with NTAG READ and FAST_READ.

ADDRESS = 0x24
ACK = b"\x00\x00\xff\x00\xff\x00"
ERROR_FRAME = b"\x00\x00\xff\x01\xff\x7f\x81\x00"
STATUS_TIMEOUT = 0x01  # the target did not answer


def chip_frame(body):
    """A frame from the chip: TFI D5 and ``body`` (command code and data)."""
    data = b"\xd5" + bytes(body)
    return (b"\x00\x00\xff" + bytes([len(data), (-len(data)) & 0xFF]) + data
            + bytes([(-sum(data)) & 0xFF, 0]))


def wrap_card(card):
    """The card as the desk writes it from page 4 (docs/card-format.md, "On the tag")."""
    body = bytes([0x03, len(card) + 3, 0xD5, 0, len(card)]) + bytes(card) + b"\xfe"
    return body + bytes(-len(body) % 4)


class Tag:
    """An NTAG213 by default: 45 pages, user memory from page 4."""

    def __init__(self, uid, card=None, memory=None, pages=45, sens_res=0x0044, sel_res=0x00):
        self.uid = bytes(uid)
        user = memory if memory is not None else wrap_card(card or b"")
        data = bytes(16) + bytes(user)
        self.memory = data + bytes(pages * 4 - len(data))
        self.sens_res, self.sel_res = sens_res, sel_res
        self.leave_when_read = False  # pulled away while its memory is being read

    def read(self, start, end):
        if start > end or end * 4 + 4 > len(self.memory):
            return None  # NAK: the chip reports a timeout-like error
        return self.memory[start * 4:end * 4 + 4]


class PN532Chip:
    """The chip and its I2C bus as machine.I2C offers them (writeto, readfrom)."""

    def __init__(self):
        self.field = []
        self.listed = {}
        self.out = []  # frames ready for the host, in order
        self.busy_reads = 0  # status reads that answer busy before each answer is ready
        self._busy = 0
        self.silent = False  # alive on the bus but never ready again
        self.gone = False  # NACKs its address: OSError on every transfer
        self.noise = None  # bytes a read returns instead of the answer (a noisy bus)
        self.received = []  # host commands, in order
        self.ignored = 0  # host frames with bad checksums
        # Optional air time: with a clock (seconds) and air_time(command, data) -> seconds, an
        # answer is ready only that long after its command (the benchmark's RF timing).
        self.clock = None
        self.air_time = None
        self._ready_at = 0
        self.pending = b""

    # --- I2C --------------------------------------------------------------------------

    def writeto(self, addr, buf):
        self._check(addr)
        frame = bytes(buf)
        command = self._parse(frame)
        if command is None:
            self.ignored += 1
            return len(frame)
        self.received.append(command[0])
        self.out = [ACK, None]  # answered when the host first asks for it (after the air time)
        self.pending = command
        self._busy = self.busy_reads
        if self.clock is not None and self.air_time is not None:
            self._ready_at = self.clock() + self.air_time(command[0], command[1:])
        return len(frame)

    def readfrom(self, addr, n):
        self._check(addr)
        if self.noise is not None:
            return (b"\x01" + self.noise + bytes(n))[:n]
        if self.silent or not self.out:
            return bytes(n)
        if self.out[0] is not ACK and self._busy:
            self._busy -= 1
            return bytes(n)
        if self.out[0] is not ACK and self.clock is not None and self.clock() < self._ready_at:
            return bytes(n)
        if self.out[0] is None:
            command = self.pending
            self.out[0] = self._answer(command[0], command[1:])
        if n == 1:
            return b"\x01"
        frame = self.out.pop(0)
        return (b"\x01" + frame + bytes(n))[:n]

    def _check(self, addr):
        if self.gone or addr != ADDRESS:
            raise OSError(19)  # ENODEV: no ACK to the address byte

    # --- frames -----------------------------------------------------------------------

    def _parse(self, frame):
        if len(frame) < 8 or frame[:3] != b"\x00\x00\xff":
            return None
        length, lcs = frame[3], frame[4]
        if (length + lcs) & 0xFF or length < 2 or len(frame) < 6 + length:
            return None
        body = frame[5:5 + length]
        if (sum(body) + frame[5 + length]) & 0xFF or body[0] != 0xD4:
            return None
        return body[1:]

    def _answer(self, command, data):
        if command == 0x02:
            return chip_frame(b"\x03\x32\x01\x06\x07")  # IC PN532, firmware 1.6
        if command in (0x14, 0x32):
            return chip_frame(bytes([command + 1]))
        if command == 0x4A and len(data) == 2 and data[1] == 0:
            return chip_frame(b"\x4b" + self._list(min(data[0], 2)))
        if command == 0x40 and len(data) >= 2:
            return chip_frame(b"\x41" + self._exchange(data[0], data[1:]))
        if command == 0x52:
            self.listed = {}
            return chip_frame(b"\x53\x00")
        return ERROR_FRAME

    def _list(self, most):
        found = sorted(self.field, key=lambda t: t.uid)[:most]
        self.listed = {}
        out = bytes([len(found)])
        for n, tag in enumerate(found):
            self.listed[n + 1] = tag
            out += bytes([n + 1, tag.sens_res >> 8, tag.sens_res & 0xFF, tag.sel_res,
                          len(tag.uid)]) + tag.uid
        return out

    def _exchange(self, tg, request):
        tag = self.listed.get(tg)
        if tag is None or tag not in self.field:
            return bytes([STATUS_TIMEOUT])
        if tag.leave_when_read:
            self.field.remove(tag)
            return bytes([STATUS_TIMEOUT])
        data = None
        if request[0] == 0x30 and len(request) == 2:
            data = tag.read(request[1], request[1] + 3)
        elif request[0] == 0x3A and len(request) == 3:
            data = tag.read(request[1], request[2])
        if data is None:
            return bytes([STATUS_TIMEOUT])
        return b"\x00" + data
