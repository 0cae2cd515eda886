# portable: fakes for the door node's hardware, under CPython and MicroPython alike.
try:
    from doornode import frame as fr
except ImportError:
    from firmware.doornode import frame as fr


class FakeUart:
    def __init__(self):
        self.rx = b""
        self.tx = []

    def any(self):
        return len(self.rx)

    def read(self, n=-1):
        if n < 0:
            n = len(self.rx)
        data, self.rx = self.rx[:n], self.rx[n:]
        return data or None

    def write(self, data):
        self.tx.append(bytes(data))
        return len(data)

    def take_frames(self):
        dec = fr.Decoder()
        out = []
        for chunk in self.tx:
            out.extend(dec.feed(chunk))
        self.tx = []
        return out


class FakePin:
    def __init__(self, level=0):
        self.level = level
        self.history = []

    def value(self, level=None):
        if level is None:
            return self.level
        self.level = level
        self.history.append(level)


class FakeReader:
    def __init__(self):
        self.cards = []

    def read(self):
        if self.cards:
            return self.cards.pop(0)
        return None
