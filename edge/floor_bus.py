"""The ``DoorHardware`` of a real floor: door nodes on the RS-485 bus (polled by ``DoorNodes``)
and PIR sensors on the Pi's GPIO.

``DoorNodes`` reports plain facts and this passes each to the gateway's inputs, by room: a door
moved, a tap was decided (by the gateway's access core, or by a cut-off node alone), a node went
silent. The room state machine makes the door and access events of them.

A tap is decided, answered, then recorded: the DECISION frame goes out before the access event
is written (and fsynced) to the outbox, so the disk is not in the lock's way. Nothing is lost
by it: the node keeps a tap until a later POLL acknowledges it, and ``DoorNodes`` acknowledges
only after the event is recorded; a gateway that dies in between hears the tap again from the
node and records it then.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from edge.access.decision import Decision
from edge.hw import door_nodes as dn
from edge.hw.errors import HardwareError
from edge.hw.gpio import MotionDetector
from edge.hw.serial_bus import BAUDRATE, SerialBus, open_port
from edge.ports import FloorInputs
from firmware.doornode import frame as fr

log = logging.getLogger(__name__)


class LockedBus:
    """One transaction at a time (polling and remote unlocks share the wire); reopens a dead port."""

    def __init__(self, open_bus: Callable[[], dn.Bus]) -> None:
        self._open = open_bus
        self._bus = open_bus()
        self._lock = threading.Lock()

    def reopen(self) -> None:
        with self._lock:
            self._bus = self._open()

    def transact(self, address: int, kind: int, payload: bytes = b"") -> fr.Frame:
        with self._lock:
            return self._bus.transact(address, kind, payload)

    def broadcast(self, kind: int, payload: bytes = b"") -> None:
        with self._lock:
            self._bus.broadcast(kind, payload)


class BusFloor:
    """Door nodes by room (``{room: node address}``) on one serial port."""

    watches_forced_entry = True

    def __init__(self, *, port_url: str, nodes: Mapping[str, int], rs485: bool = False,
                 baudrate: int = BAUDRATE, unlock_s: float = 5, offline_after: int = 3,
                 motion_pins: Mapping[str, int] | None = None,
                 pin_factory: Any = None, facilities: Mapping[str, int] | None = None) -> None:
        self._url, self._rs485, self._baudrate = port_url, rs485, baudrate
        self._nodes = dict(nodes)
        self._facilities = dict(facilities or {})  # common area and floor readers: name -> address
        self._unlock_s = unlock_s
        self._offline_after = offline_after
        self._inputs: FloorInputs | None = None
        self._motion_pins = dict(motion_pins or {})
        self._pin_factory = pin_factory
        self._sensors: list[MotionDetector] = []
        self._service: dn.DoorNodes | None = None
        self._bus: LockedBus | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, inputs: FloorInputs) -> None:
        self._inputs = inputs
        self._bus = LockedBus(
            lambda: SerialBus(open_port(self._url, baudrate=self._baudrate, rs485=self._rs485)))
        configs = [dn.NodeConfig(address=a, door=room, room=room) for room, a in self._nodes.items()]
        configs += [dn.NodeConfig(address=a, door=name) for name, a in self._facilities.items()]
        self._service = dn.DoorNodes(self._bus, configs, decide=self._decide, emit=self._report,
                                     now=inputs.now, telemetry=self._telemetry,
                                     offline_after=self._offline_after,
                                     unlock_ms=round(self._unlock_s * 1000))
        self._thread = threading.Thread(target=self._run, name="door-bus", daemon=True)
        self._thread.start()
        for room, pin in self._motion_pins.items():
            self._sensors.append(MotionDetector(pin, on_motion=self._motion_in(room), clock=inputs.now,
                                                pin_factory=self._pin_factory))

    def _motion_in(self, room: str) -> Callable[[bool, datetime], None]:
        def seen(active: bool, _at: datetime) -> None:
            if active and self._inputs is not None:
                self._inputs.motion(room)
        return seen

    def _run(self) -> None:
        assert self._service is not None and self._bus is not None
        while not self._stop.is_set():
            try:
                self._service.run(self._stop, min_cycle_s=dn.idle_cycle_s(self._baudrate))
            except HardwareError as exc:
                log.error("door bus failed: %s; reopening", exc)
                if self._stop.wait(1.0):
                    return
                try:
                    self._bus.reopen()
                except HardwareError as again:
                    log.error("door bus still down: %s", again)
            except Exception:  # the doors must stay polled whatever a report did downstream
                log.exception("door bus service failed; resuming")
                if self._stop.wait(0.5):
                    return

    def unlock(self, *, room: str, door: str | None, seconds: int) -> None:
        """Remote unlock; raises HardwareError (NodeTimeout) when the node does not answer."""
        if self._service is None:
            raise RuntimeError("the door bus is not started")
        self._service.unlock(room, seconds=seconds)

    def stop(self) -> None:
        self._stop.set()
        for sensor in self._sensors:
            sensor.close()
        self._sensors.clear()
        if self._thread is not None:
            self._thread.join(5)

    def _decide(self, card: bytes, door: str, _now: datetime, /) -> Decision:
        """Decide a tap; it is recorded when ``DoorNodes`` reports it, after the node has its answer."""
        assert self._inputs is not None
        if door in self._facilities:
            return self._inputs.decide_facility(door, card)
        return self._inputs.decide_card(door, card)

    def _telemetry(self, room: str | None, door: str, readings: dict[str, dn.Reading], /) -> None:
        if self._inputs is not None and room is not None:
            self._inputs.telemetry(room, readings)

    def _report(self, fact: dn.NodeFact, /) -> None:
        """Pass a node's fact on to the gateway, for the node's room."""
        assert self._inputs is not None
        room = fact.node.room
        if room is None:
            self._report_facility(fact)
            return
        match fact:
            case dn.TapDecided():
                self._inputs.card_decided(room, fact.decision, at=fact.at)
            case dn.TapDecidedByNode():
                self._inputs.node_decided(room, granted=fact.granted, at=fact.at)
            case dn.DoorChanged():
                self._inputs.door_contact(room, open=fact.is_open, at=fact.at, door=fact.node.door)
            case dn.LockChanged():
                self._inputs.lock_changed(room, locked=fact.locked, at=fact.at)
            case dn.NodeFault():
                self._inputs.node_fault(room, fault=fact.fault, node=fact.node.address,
                                        door=fact.node.door, at=fact.at)
            case dn.Egress():
                self._inputs.egress(room, at=fact.at, door=fact.node.door)
            case dn.NodeSilent():
                self._inputs.node_silent(room, node=fact.node.address, door=fact.node.door)

    def _report_facility(self, fact: dn.NodeFact) -> None:
        """A common area's or floor reader's node: its taps and its troubles (no room state)."""
        assert self._inputs is not None
        door, address = fact.node.door, fact.node.address
        match fact:
            case dn.TapDecided():
                self._inputs.facility_decided(door, fact.decision, at=fact.at)
            case dn.NodeFault():
                self._inputs.facility_trouble(door, node=address, fault=fact.fault)
            case dn.NodeSilent():
                self._inputs.facility_trouble(door, node=address, fault=None)
            case _:
                pass  # its door and lock have no room to show them
