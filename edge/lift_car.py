"""An in-lift panel at the gateway: the car's card reader (libnfc on the Pi, or its twin) and its
floor-select relays. A tap is judged by ``edge.access.lift`` through the gateway's store; a
granted card enables its floors for ``enable_s`` (the public floors stay enabled), a refused card
enables nothing. Every tap is an ``access.granted``/``access.denied`` event naming the lift and
the floors, and a reader that fails or a torn or foreign card a ``node.fault``: the same events
as any door. The panel never waits for the cloud.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from edge.access.lift import LiftChoice
from edge.config import LiftSettings
from edge.errors import ConfigError
from edge.hw.errors import HardwareError
from edge.hw.lift_panel import LiftPanel
from edge.hw.nfc import NfcReader, read_keycard
from edge.hw.nfc_errors import NfcError, TagError
from mqtt.messages import AccessDecision, Data, NodeFault

if TYPE_CHECKING:
    from edge.keycards import KeycardAccess

log = logging.getLogger(__name__)
REREAD_S = 0.7  # the same card again within this is the same tap
REOPEN_S = 5.0
POLL_S = 0.3  # one wait for a tag; also how soon an enable window's end is noticed

Record = Callable[[str, Data], object]


class LiftCar:
    """One car's panel: what a tap enables, and for how long."""

    def __init__(
        self,
        *,
        name: str,
        panel: LiftPanel,
        choose: Callable[[bytes], LiftChoice],
        record: Record,
        now: Callable[[], datetime],
        public: frozenset[int] = frozenset(),
        enable_s: float = 10.0,
    ) -> None:
        self.name, self._panel, self._choose = name, panel, choose
        self._record, self._now = record, now
        self._public, self._window = public, timedelta(seconds=enable_s)
        self._until: datetime | None = None
        self._panel.enable(public)

    def presented(self, card: bytes) -> LiftChoice:
        """Judge a tap, enable what it grants, record it."""
        choice = self._choose(card)
        if choice.floors:
            self._until = self._now() + self._window
            try:
                self._panel.enable(choice.floors | self._public)
            except HardwareError:  # the decision still stands and is recorded
                log.exception("lift %s: the floor relays failed", self.name)
        decision = choice.decision
        self._record(
            "access.granted" if decision.granted else "access.denied",
            AccessDecision(
                door=self.name,
                granted=decision.granted,
                reason=str(decision.reason)[:64],
                credential_id=decision.credential_id,
                kind=decision.kind,
                floors=sorted(choice.floors),
            ),
        )
        return choice

    def tick(self) -> None:
        """Back to the public floors once the window has passed."""
        if self._until is not None and self._now() >= self._until:
            self._until = None
            self._panel.enable(self._public)

    def fault(self, fault: str) -> None:
        self._record("node.fault", NodeFault.model_validate({"door": self.name, "fault": fault}))

    def close(self) -> None:
        self._panel.close()


class LiftReader:
    """Waits for cards at the car's reader on its own thread; reopens a reader that fails."""

    def __init__(
        self,
        car: LiftCar,
        *,
        connstring: str,
        open_reader: Callable[[str], NfcReader],
        reread_s: float = REREAD_S,
    ) -> None:
        self.car, self._connstring, self._open = car, connstring, open_reader
        self._reread_s = reread_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lift-{car.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.car.close()

    def _run(self) -> None:
        reader: NfcReader | None = None
        silent, last = False, (b"", 0.0)
        while not self._stop.is_set():
            self.car.tick()
            if reader is None:
                reader, silent = self._reopen(silent)
                continue
            try:
                got = read_keycard(reader, timeout_s=POLL_S)
            except TagError as exc:
                self.car.fault("card_torn" if exc.reason == "io" else "card_unreadable")
                self._stop.wait(self._reread_s)
                continue
            except NfcError as exc:
                log.error("lift %s: card reader failed: %s; reopening", self.car.name, exc)
                reader.close()
                reader = None
                continue
            if got is None:
                continue
            now = time.monotonic()
            if got[1] != last[0] or now - last[1] >= self._reread_s:
                self.car.presented(got[1])
            last = (got[1], now)
        if reader is not None:
            reader.close()

    def _wait(self, seconds: float) -> None:
        """Wait before trying the reader again, still ending an enable window on time."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            self.car.tick()
            self._stop.wait(POLL_S)

    def _reopen(self, silent: bool) -> tuple[NfcReader | None, bool]:
        try:
            reader = self._open(self._connstring)
        except NfcError as exc:
            if not silent:
                log.error("lift %s: card reader %s: %s", self.car.name, self._connstring, exc)
                self.car.fault("reader_silent")
            self._wait(REOPEN_S)
            return None, True
        if silent:
            self.car.fault("reader_back")
        return reader, False


def lift_readers(
    lifts: Mapping[str, LiftSettings],
    *,
    access: object,
    record: Record,
    now: Callable[[], datetime],
    open_reader: Callable[[str], NfcReader],
    pin_factory: Any = None,
) -> list[LiftReader]:
    """A reader (not yet started) for each in-lift panel of the floor's settings."""
    from edge.hw.lift_panel import RelayLiftPanel  # gpiozero only where a lift is wired
    from edge.keycards import KeycardAccess

    if lifts and not isinstance(access, KeycardAccess):
        raise ConfigError("in-lift panels need keycard access")
    out = []
    for name, lift in lifts.items():
        assert isinstance(access, KeycardAccess)
        panel = RelayLiftPanel(pins=lift.floors, pin_factory=pin_factory)
        car = LiftCar(
            name=name,
            panel=panel,
            choose=_chooser(access, name),
            record=record,
            now=now,
            public=frozenset(lift.public),
            enable_s=lift.enable_s,
        )
        out.append(LiftReader(car, connstring=lift.reader, open_reader=open_reader))
    return out


def _chooser(access: KeycardAccess, lift: str) -> Callable[[bytes], LiftChoice]:
    def choose(card: bytes) -> LiftChoice:
        return access.lift(card=card, lift=lift)

    return choose
