# The node's short memory of recently granted cards, so it still opens for them while
# its gateway is unreachable. Bounded (oldest goes first) and every entry expires.
from .clock import ticks_add, ticks_diff


class Allowlist:
    def __init__(self, capacity=16):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._entries = []  # [card, expires_at_ticks], oldest first

    def __len__(self):
        return len(self._entries)

    def remember(self, card, now_ms, keep_ms):
        self.forget(card)
        if keep_ms <= 0:
            return
        self._entries.append([bytes(card), ticks_add(now_ms, keep_ms)])
        while len(self._entries) > self.capacity:
            self._entries.pop(0)

    def allows(self, card, now_ms):
        self.expire(now_ms)
        for entry in self._entries:
            if entry[0] == card:
                return True
        return False

    def forget(self, card=None):
        if card is None:
            self._entries = []
        else:
            self._entries = [e for e in self._entries if e[0] != card]

    def expire(self, now_ms):
        """Drop what is due; call often, since tick differences wrap after ~6 days."""
        self._entries = [e for e in self._entries if ticks_diff(e[1], now_ms) > 0]
