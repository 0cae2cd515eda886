"""The gateway's composition root: settings, store, rooms, access, hardware and the MQTT link.

``posada edge --config FILE`` calls ``main(["--config", FILE])``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from edge.card_list import CardList
from edge.config import GatewayConfig, load_config, settings_help
from edge.errors import CommandRejected, ConfigError, UnknownRoom
from edge.hw.errors import HardwareError
from edge.inbox import CommandInbox
from edge.link import MqttLink
from edge.outbox import OutboxEntry
from edge.ports import Access, Clock, Decision, DoorHardware
from edge.room_state import (
    AccessResult,
    DndChanged,
    DoorContact,
    LockChanged,
    Motion,
    Policy,
    Room,
    SettingsChanged,
    Signal,
    Tick,
    apply,
)
from edge.sim import FloorSimulator, SimulatedDesk, SimulatedDoors
from edge.store import Store
from edge.telemetry.feeds import GatewayFacts, RoomView, add_simulated_floor, add_system_health
from edge.telemetry.runner import TelemetryRunner, TelemetrySettings
from edge.timekeeping import GatewayClock
from mqtt.codec import encode
from mqtt.envelope import Envelope
from mqtt.messages import (
    EVENT_MODELS,
    CommandAck,
    Data,
    RemoteUnlock,
    RoomSettings,
    RoomState,
)
from mqtt.topics import Kind, Topic

log = logging.getLogger(__name__)
CommandHandler = Callable[[Envelope, Data], None]
MOTION_SAVE_EVERY_S = 60.0


def software_version() -> str:
    try:
        return version("posada")
    except PackageNotFoundError:
        return "0+unknown"


class Gateway:
    """One floor. Hardware reports through the ``FloorInputs`` methods; the cloud through commands."""

    def __init__(self, config: GatewayConfig, *, hardware: DoorHardware | None = None,
                 access: Access | None = None, clock: Clock | None = None) -> None:
        self.config = config
        self.store = Store(config.db_path)
        self.clock: Clock = clock or GatewayClock(self.store, trust_system_clock=config.trust_system_clock)
        self.access: Access = access or default_access(config, self.store, self.clock)
        self.hardware = hardware
        self.policy = Policy(vacancy_quiet=timedelta(seconds=config.vacancy_quiet_s),
                             absence_quiet=timedelta(seconds=config.absence_quiet_s),
                             ajar_after=timedelta(seconds=config.ajar_after_s))
        saved = self.store.rooms()
        self._rooms = {r: Room.from_dict(saved[r]) if r in saved else Room(room=r) for r in config.rooms}
        self.handlers: dict[str, CommandHandler] = {
            "room.settings": self._room_settings, "door.unlock": self._remote_unlock,
        }
        self.handlers.update({t: self.access.apply for t in self.access.command_types})
        self.inbox = CommandInbox(store=self.store, handler=self._dispatch, now=self.now,
                                  topic=str(Topic(Kind.CMD, config.site, config.floor)))
        self.link = MqttLink(config=config, store=self.store, inbox=self.inbox, clock=self.clock,
                             room_states=self.room_states, version=software_version())
        self.telemetry_runner = TelemetryRunner(
            telemetry_settings(config), rooms=config.rooms, port=self.link.telemetry_port(),
            now=self.now, events_waiting=self.store.pending_count, online=self.link.online.is_set)
        self._saved_at: dict[str, float] = {}
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self.store.prune_commands(before=self.now() - timedelta(days=30))
        if self.hardware is not None:
            self.hardware.start(self)
        self.link.start()
        self.telemetry_runner.start()
        self._ticker = threading.Thread(target=self._tick_loop, name=f"rooms-{self.config.client_id}",
                                        daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        """Stop the hardware, publish ``offline``, disconnect, close the store."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(5)
        if self.hardware is not None:
            self.hardware.stop()
        self.telemetry_runner.stop()
        self.link.stop()
        self.store.close()

    def now(self) -> datetime:
        return self.clock.read().at

    # --- what the hardware reports (FloorInputs) ------------------------------------------

    def door_contact(self, room: str, *, open: bool) -> None:
        self.feed(room, DoorContact(open=open, at=self.now()))

    def motion(self, room: str) -> None:
        self.feed(room, Motion(at=self.now()))

    def lock_changed(self, room: str, *, locked: bool) -> None:
        self.feed(room, LockChanged(locked=locked, at=self.now()))

    def dnd(self, room: str, *, on: bool) -> None:
        self.feed(room, DndChanged(on=on, at=self.now()))

    def card_presented(self, room: str, card: bytes, *, door: str | None = None) -> bool:
        """Decide locally, record the decision, open the lock when granted."""
        decision = self.judge_card(room, card, door=door)
        if decision.granted and self.hardware is not None:
            self.hardware.unlock(room=room, door=door, seconds=self.config.unlock_s)
        return decision.granted

    def judge_card(self, room: str, card: bytes, *, door: str | None = None) -> Decision:
        decision = self.decide_card(room, card, door=door)
        self.card_decided(room, decision, at=self.now(), door=door)
        return decision

    def decide_card(self, room: str, card: bytes, *, door: str | None = None) -> Decision:
        """The access decision alone; ``card_decided`` records it."""
        if room not in self._rooms:
            raise UnknownRoom(room)
        return self.access(card=card, room=room, door=door)

    def card_decided(self, room: str, decision: Decision, *, at: datetime, door: str | None = None) -> None:
        """Record a decided tap: the room's last access and its access event, durably in the outbox."""
        self.feed(room, AccessResult(granted=decision.granted, reason=decision.reason, at=at,
                                     credential_id=decision.credential_id, kind=decision.kind, door=door))

    def access_noted(self, room: str, *, granted: bool, reason: str, kind: str | None = None) -> None:
        self.feed(room, AccessResult(granted=granted, reason=reason, at=self.now(), kind=kind))

    def telemetry(self, room: str, readings: dict[str, float | int | bool]) -> None:
        """Readings a door node reported; sampled and sent on the next telemetry tick."""
        if room not in self._rooms:
            raise UnknownRoom(room)
        self.telemetry_runner.report(room, readings)

    def facts(self) -> GatewayFacts:
        return GatewayFacts(outbox_depth=self.store.pending_count,
                            clock_offset_s=lambda: self.clock.read().offset_s)

    def room_view(self, room: str) -> RoomView:
        current = self._rooms[room]
        return RoomView(door_open=current.door == "open", occupied=current.guest_present)

    def record(self, type: str, data: Data | dict[str, Any], *, room: str | None = None) -> OutboxEntry:
        """Write an event to the outbox (validated against the contract), then let the link send it."""
        model = EVENT_MODELS.get(type)
        raw = data.model_dump(mode="json", exclude_none=True) if isinstance(data, Data) else dict(data)
        if model is not None:
            raw = model.model_validate(raw).model_dump(mode="json", exclude_none=True)
        entry = self.store.append_event(type=type, data=raw, room=room or raw.get("room"), created=self.now())
        self.link.wake()
        return entry

    # --- rooms ----------------------------------------------------------------------------

    def feed(self, room: str, signal: Signal) -> None:
        """Run the room's state machine; its events and new state are stored in one transaction."""
        if room not in self._rooms:
            raise UnknownRoom(room)
        with self.store.transaction():
            before = self._rooms[room]
            step = apply(before, signal, self.policy)
            if step.room == before:
                return
            for event in step.events:
                data = event.data.model_dump(mode="json", exclude_none=True)
                self.store.append_event(type=event.type, data=data, room=room, created=signal.at)
            self._rooms[room] = step.room
            if step.events or not self._motion_only(room, before, step.room):
                self.store.save_room(room, step.room.to_dict(), at=signal.at)
                self._saved_at[room] = time.monotonic()
        if step.events:
            self.link.wake()
        if step.changed_from(before):
            self.link.publish_room_state(step.room.snapshot())

    def _motion_only(self, room: str, before: Room, after: Room) -> bool:
        """More motion in a room already known occupied: written at most once a minute (SD cards wear)."""
        same = replace(after, last_motion_at=before.last_motion_at, updated_at=before.updated_at) == before
        return same and time.monotonic() - self._saved_at.get(room, -1e9) < MOTION_SAVE_EVERY_S

    def room_states(self) -> list[RoomState]:
        with self.store.locked():
            return [room.snapshot() for room in self._rooms.values()]

    def room(self, room: str) -> Room:
        return self._rooms[room]

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.config.tick_s):
            for room in self.config.rooms:
                try:
                    self.feed(room, Tick(at=self.now()))
                except Exception:
                    log.exception("room %s: tick failed", room)

    # --- commands -------------------------------------------------------------------------

    def _dispatch(self, envelope: Envelope, data: Data) -> None:
        handler = self.handlers.get(envelope.type)
        if handler is None:
            raise CommandRejected(f"this gateway does not handle {envelope.type!r}")
        try:
            handler(envelope, data)
        except ValueError as exc:
            raise CommandRejected(str(exc)[:512]) from None

    def _room_settings(self, _envelope: Envelope, data: Data) -> None:
        assert isinstance(data, RoomSettings)
        self.feed(data.room, SettingsChanged(at=self.now(), checkout_at=data.checkout_at,
                                             housekeeping=data.housekeeping, occupied=data.occupied))

    def _remote_unlock(self, envelope: Envelope, data: Data) -> None:
        assert isinstance(data, RemoteUnlock)
        if data.room not in self._rooms:
            raise UnknownRoom(data.room)
        if self.hardware is not None:
            try:
                self.hardware.unlock(room=data.room, door=data.door, seconds=data.seconds)
            except HardwareError as exc:
                raise CommandRejected(f"the lock did not answer: {exc}") from None
        self.feed(data.room, AccessResult(granted=True, reason="remote", at=self.now(),
                                          credential_id=envelope.id, kind="remote", door=data.door))

    def command(self, type: str, data: Data) -> CommandAck | None:
        """Apply a command as if the cloud had sent it (the simulated desk installs its key so)."""
        topic = str(Topic(Kind.CMD, self.config.site, self.config.floor))
        return self.inbox.receive(topic, encode(type=type, source="local", data=data).to_json()).ack


def telemetry_settings(config: GatewayConfig) -> TelemetrySettings:
    return TelemetrySettings(
        site=config.site, floor=config.floor, source=config.source,
        backlog_path=config.telemetry_db_path, interval_s=config.telemetry_interval_s,
        max_interval_s=config.telemetry_max_interval_s,
        backlog_bucket_s=config.telemetry_backlog_bucket_s,
        backlog_max_rows=config.telemetry_backlog_max_rows,
        drain_per_s=config.telemetry_drain_per_s, hold_s=config.telemetry_hold_s)


def default_access(config: GatewayConfig, store: Store, clock: Clock) -> Access:
    if config.access == "list":
        return CardList(store, clock=clock)
    from edge.keycards import KeycardAccess

    assert config.site_number is not None and config.floor_number is not None
    return KeycardAccess(store=store, site=config.site_number, floor=config.floor_number, clock=clock)


def build(config: GatewayConfig, *,
          issue_card: Callable[[str], bytes] | None = None) -> tuple[Gateway, FloorSimulator | None]:
    """The gateway with the hardware its settings ask for, and the people of a simulated floor.

    ``issue_card(room)`` gives the simulated guests their cards (the cloud's issuer in a demo);
    without it a simulated desk signs them with a key it installs on this gateway.
    """
    if config.hardware == "pi":
        from edge.floor_bus import BusFloor

        bus = BusFloor(port_url=config.serial_url, nodes=config.door_nodes, rs485=config.serial_rs485,
                       unlock_s=config.unlock_s, motion_pins=config.motion_pins)
        gateway = Gateway(config, hardware=bus)
        add_system_health(gateway.telemetry_runner, data_dir=config.data_dir, facts=gateway.facts())
        return gateway, None
    doors = SimulatedDoors()
    gateway = Gateway(config, hardware=doors)
    add_simulated_floor(gateway.telemetry_runner, rooms=config.rooms, seed=config.sim_seed,
                        room_view=gateway.room_view, facts=gateway.facts())
    issue = issue_card or simulated_desk(gateway)
    simulator = FloorSimulator(inputs=gateway, doors=doors, rooms=config.rooms, rate=config.sim_rate,
                               seed=config.sim_seed, issue_card=issue)
    return gateway, simulator


def simulated_desk(gateway: Gateway) -> Callable[[str], bytes]:
    """The card encoder of a simulated floor: signed keycards, or listed cards in 'list' mode."""
    access = gateway.access
    if isinstance(access, CardList):
        return lambda room: access.issue(room, now=gateway.now())
    config = gateway.config
    assert config.site_number is not None and config.floor_number is not None
    desk = SimulatedDesk.load_or_create(gateway.store, site=config.site_number, floor=config.floor_number)
    ack = gateway.command("key.upsert", desk.key_command())
    if ack is None or not ack.ok:
        raise ConfigError(f"the simulated desk's key was refused: {ack.error if ack else 'no answer'}")
    return lambda room: desk.issue(room, now=gateway.now())


def run(config_path: Path | None) -> int:
    config = load_config(config_path)
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SIGTERM/SIGINT are taken by this thread alone, with sigwait: blocked before any thread
    # starts (threads inherit the mask), they stay pending until it asks. With a Python handler
    # instead, the kernel may deliver the signal to any other thread, and the handler waits for
    # the main thread to run bytecode, which a main thread blocked in Event.wait() never does.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        gateway, simulator = build(config)
        gateway.start()
        if simulator is not None:
            simulator.start()
        log.info("gateway %s running with %d rooms", config.source, len(config.rooms))
        received = signal.sigwait(stop_signals)
        log.info("stopping on %s", signal.Signals(received).name)
        if simulator is not None:
            simulator.stop()
        gateway.stop()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="posada edge", description="Run one floor gateway.", epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, default=None, help="TOML settings file (POSADA_* env wins)")
    args = parser.parse_args(argv)
    try:
        return run(args.config)
    except ConfigError as exc:
        parser.exit(2, f"posada edge: {exc}\n")
    except (OSError, sqlite3.Error, HardwareError) as exc:
        parser.exit(1, f"posada edge: cannot start: {exc}\n")


if __name__ == "__main__":
    raise SystemExit(main())
