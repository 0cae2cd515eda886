"""The gateway's composition root: settings, store, rooms, access, hardware and the MQTT link.

Its command line (``posada edge --config FILE``) is ``edge.main``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from edge.access.decision import Decision
from edge.access.hours import OpeningHours
from edge.access.scan import MAX_CARD, ScanRefused, card_of
from edge.config import GatewayConfig
from edge.energy import EnergyPolicy
from edge.energy_ledger import SqliteEnergyLedger
from edge.energy_saver import EnergySaver
from edge.errors import CommandRejected, ConfigError, UnknownRoom
from edge.hw.errors import HardwareError
from edge.inbox import CommandInbox
from edge.lift_car import LiftReader, lift_readers
from edge.link import MqttLink
from edge.outbox import OutboxEntry
from edge.ports import Access, Clock, DoorHardware
from edge.room_signals import (
    CardDecided,
    DndChanged,
    DoorContact,
    Egress,
    LockChanged,
    Motion,
    NodeDecided,
    NodeFaulted,
    NodeSilent,
    RemoteUnlocked,
    SettingsChanged,
    Signal,
)
from edge.room_state import Policy, Room
from edge.rooms import FloorRooms
from edge.sim import FloorSimulator, SimulatedDesk, SimulatedDoors
from edge.store import Store
from edge.telemetry.feeds import (
    GatewayFacts,
    RoomView,
    add_climate_sensors,
    add_power_meters,
    add_simulated_floor,
    add_system_health,
)
from edge.telemetry.runner import TelemetryRunner, TelemetrySettings
from edge.timekeeping import GatewayClock
from mqtt.codec import encode
from mqtt.envelope import Envelope
from mqtt.keycard import Area
from mqtt.messages import (
    EVENT_MODELS,
    AccessDecision,
    CommandAck,
    Data,
    NodeFault,
    NodeOffline,
    RemoteUnlock,
    RoomSettings,
    RoomState,
    StaffPunch,
)
from mqtt.topics import Kind, Topic

if TYPE_CHECKING:
    from edge.gpio_floor import OpenReader
    from edge.hw.qr_scanner import SerialScanner
    from edge.hw.room_power import RoomPower

log = logging.getLogger(__name__)
CommandHandler = Callable[[Envelope, Data], None]
FORCED_WINDOW = timedelta(seconds=10)  # an opening this long after a grant is still the grant's


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
        self.store = Store(config.db_path, reserve_bytes=config.disk_reserve_mb << 20)
        self.clock: Clock = clock or GatewayClock(self.store, trust_system_clock=config.trust_system_clock)
        self.access: Access = access or default_access(config, self.store, self.clock)
        self.hardware = hardware
        self.rooms = FloorRooms(self.store, rooms=config.rooms, policy=self._policy(config, hardware),
                                events_recorded=lambda: self.link.wake(),
                                state_changed=lambda state: self.link.publish_room_state(state))
        self.handlers: dict[str, CommandHandler] = {
            "room.settings": self._room_settings, "door.unlock": self._remote_unlock,
        }
        self.handlers.update({t: self.access.apply for t in self.access.command_types})
        self.inbox = CommandInbox(store=self.store, handler=self._dispatch, now=self.now,
                                  topic=str(Topic(Kind.CMD, config.site, config.floor)))
        self.link = MqttLink(config=config, store=self.store, inbox=self.inbox, clock=self.clock,
                             room_states=self.rooms.snapshots, version=software_version())
        self.telemetry_runner = TelemetryRunner(
            telemetry_settings(config), rooms=config.rooms, port=self.link.telemetry_port(),
            now=self.now, events_waiting=self.store.pending_count, online=self.link.online.is_set)
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.energy: EnergySaver | None = None
        self.lifts: list[LiftReader] = []  # in-lift panels, started and stopped with the gateway
        self.scanners: list[SerialScanner] = []  # phone-key scanners at doors, likewise

    @staticmethod
    def _policy(config: GatewayConfig, hardware: DoorHardware | None) -> Policy:
        watched = hardware is not None and hardware.watches_forced_entry
        return Policy(vacancy_quiet=timedelta(seconds=config.vacancy_quiet_s),
                      absence_quiet=timedelta(seconds=config.absence_quiet_s),
                      ajar_after=timedelta(seconds=config.ajar_after_s),
                      forced_window=FORCED_WINDOW if watched else None)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self.store.prune_commands(before=self.now() - timedelta(days=30))
        if self.hardware is not None:
            self.hardware.start(self)
        for lift in self.lifts:
            lift.start()
        for scanner in self.scanners:
            scanner.start()
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
        for lift in self.lifts:
            lift.stop()
        for scanner in self.scanners:
            scanner.stop()
        if self.energy is not None:
            self.energy.close(self.now())
        self.telemetry_runner.stop()
        self.link.stop()
        self.store.close()

    def now(self) -> datetime:
        return self.clock.read().at

    # --- what the hardware reports (FloorInputs) ------------------------------------------

    def door_contact(self, room: str, *, open: bool, at: datetime | None = None,
                     door: str | None = None) -> None:
        self.feed(room, DoorContact(open=open, at=at or self.now(), door=door))

    def motion(self, room: str) -> None:
        self.feed(room, Motion(at=self.now()))

    def lock_changed(self, room: str, *, locked: bool, at: datetime | None = None) -> None:
        self.feed(room, LockChanged(locked=locked, at=at or self.now()))

    def node_fault(self, room: str, *, fault: str, node: int | None = None, door: str | None = None,
                   at: datetime | None = None) -> None:
        self.feed(room, NodeFaulted(fault=fault, at=at or self.now(), node=node, door=door))

    def egress(self, room: str, *, at: datetime | None = None, door: str | None = None) -> None:
        self.feed(room, Egress(at=at or self.now(), door=door))

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
        if room not in self.rooms:
            raise UnknownRoom(room)
        return self.access(card=card, room=room, door=door)

    def card_decided(self, room: str, decision: Decision, *, at: datetime, door: str | None = None) -> None:
        """Record a decided tap: the room's last access and its access event, durably in the outbox."""
        self.feed(room, CardDecided(decision=decision, at=at, door=door))

    def node_decided(self, room: str, *, granted: bool, at: datetime | None = None) -> None:
        self.feed(room, NodeDecided(granted=granted, at=at or self.now()))

    def decide_facility(self, door: str, card: bytes) -> Decision:
        return self.access.facility(card=card, door=door)

    def facility_decided(self, door: str, decision: Decision, *, at: datetime) -> None:
        """A common area's or floor reader's tap: the same access events as a room's, no room.
        At a time clock the decision is a punch: accepted only for a staff card that passed."""
        settings = self.config.facility_doors.get(door)
        if settings is not None and settings.mode == "clock":
            accepted = decision.granted and decision.kind == "staff"
            reason = str(decision.reason) if not decision.granted else "granted" if accepted else "not_staff"
            self.record("staff.punch", StaffPunch(door=door, accepted=accepted, reason=reason[:64],
                                                  credential_id=decision.credential_id, kind=decision.kind))
            return
        data = AccessDecision(door=door, granted=decision.granted, reason=str(decision.reason)[:64],
                              credential_id=decision.credential_id, kind=decision.kind)
        self.record("access.granted" if decision.granted else "access.denied", data)

    def facility_trouble(self, door: str, *, node: int, fault: str | None) -> None:
        if fault is None:
            self.record("node.offline", NodeOffline(door=door, node=node))
        else:
            self.record("node.fault", NodeFault.model_validate({"door": door, "node": node, "fault": fault}))

    def node_silent(self, room: str, *, node: int, door: str | None = None) -> None:
        self.feed(room, NodeSilent(node=node, at=self.now(), door=door))

    def telemetry(self, room: str, readings: dict[str, float | int | bool]) -> None:
        """Readings a door node reported; sampled and sent on the next telemetry tick."""
        if room not in self.rooms:
            raise UnknownRoom(room)
        self.telemetry_runner.report(room, readings)

    def facts(self) -> GatewayFacts:
        return GatewayFacts(outbox_depth=self.store.pending_count,
                            clock_offset_s=lambda: self.clock.read().offset_s)

    def room_view(self, room: str) -> RoomView:
        current = self.rooms[room]
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
        self.rooms.feed(room, signal)

    def room_states(self) -> list[RoomState]:
        return self.rooms.snapshots()

    def room(self, room: str) -> Room:
        return self.rooms[room]

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.config.tick_s):
            now = self.now()
            self.rooms.tick(now)
            if self.energy is not None:
                try:
                    self.energy.tick(now)
                except Exception:  # the rooms' timers must keep running whatever a relay did
                    log.exception("energy saving failed")

    def save_energy(self, power: Mapping[str, RoomPower]) -> EnergySaver | None:
        """Set rooms back while nobody is in, if the floor's settings ask for it."""
        config = self.config
        if config.setback_c is None:
            return None
        policy = EnergyPolicy(comfort_c=config.comfort_c, setback_c=config.setback_c,
                              after=timedelta(seconds=config.setback_after_s), kw_per_c=config.hvac_kw_per_c)
        self.energy = EnergySaver(policy=policy, power=power, room=self.room, record=self.record,
                                  ledger=SqliteEnergyLedger(self.store))
        return self.energy

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
        if data.room not in self.rooms:
            raise UnknownRoom(data.room)
        if self.hardware is not None:
            try:
                self.hardware.unlock(room=data.room, door=data.door, seconds=data.seconds)
            except HardwareError as exc:
                raise CommandRejected(f"the lock did not answer: {exc}") from None
        self.feed(data.room, RemoteUnlocked(command_id=envelope.id, at=self.now(), door=data.door))

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
    from edge.keycards import Facility, KeycardAccess, Lift

    assert config.site_number is not None and config.floor_number is not None
    zone = ZoneInfo(config.timezone)
    facilities = {
        name: Facility(area=Area[door.area.upper()] if door.area else None,
                       hours=OpeningHours.parse(door.hours, zone) if door.hours else None,
                       by_booking=door.by_booking)
        for name, door in config.facility_doors.items()
    }
    lifts = {name: Lift(served=frozenset(lift.floors),
                        hours=OpeningHours.parse(lift.hours, zone) if lift.hours else None)
             for name, lift in config.lifts.items()}
    return KeycardAccess(store=store, site=config.site_number, floor=config.floor_number, clock=clock,
                         facilities=facilities, lifts=lifts)


def build(config: GatewayConfig, *,
          issue_card: Callable[[str], bytes] | None = None) -> tuple[Gateway, FloorSimulator | None]:
    """The gateway with the hardware its settings ask for, and the people of a simulated floor.

    ``issue_card(room)`` gives the simulated guests their cards (the cloud's issuer in a demo);
    without it a simulated desk signs them with a key it installs on this gateway.
    """
    if config.hardware == "pi":
        from edge.gpio_floor import open_libnfc

        gateway = Gateway(config, hardware=pi_hardware(config))
        gateway.lifts = lift_readers(config.lifts, access=gateway.access, record=gateway.record,
                                     now=gateway.now, open_reader=open_libnfc)
        gateway.scanners = door_scanners(config.qr_scanners, gateway)
        add_system_health(gateway.telemetry_runner, data_dir=config.data_dir, facts=gateway.facts())
        add_climate_sensors(gateway.telemetry_runner, config.climate_sensors)
        add_power_meters(gateway.telemetry_runner, config.power_meters)
        if config.room_power:
            from edge.hw.room_power import RelayRoomPower

            relays = {room: RelayRoomPower(setback_pin=pins["setback"], lights_pin=pins.get("lights"))
                      for room, pins in config.room_power.items()}
            gateway.save_energy(relays)
        return gateway, None
    doors = SimulatedDoors()
    gateway = Gateway(config, hardware=doors)
    from edge.hw.room_power import SimulatedRoomPower  # gpiozero is there, unused

    gateway.save_energy({room: SimulatedRoomPower() for room in config.rooms})
    add_simulated_floor(gateway.telemetry_runner, rooms=config.rooms, seed=config.sim_seed,
                        room_view=gateway.room_view, facts=gateway.facts())
    issue = issue_card or simulated_desk(gateway)
    simulator = FloorSimulator(inputs=gateway, doors=doors, rooms=config.rooms, rate=config.sim_rate,
                               seed=config.sim_seed, issue_card=issue)
    return gateway, simulator


def door_scanners(ports: Mapping[str, str], gateway: Gateway) -> list[SerialScanner]:
    """A scanner (not yet started) per door that has one: a phone key read there is decided by the
    same ``decide()`` as a tapped card, recorded, and opens the door's lock when granted."""
    from edge.hw.qr_scanner import SerialScanner  # pyserial only where a scanner is wired

    def scanned(room: str, line: bytes) -> None:
        try:
            card = card_of(line)
        except ScanRefused as exc:
            log.warning("room %s: the scanner read no phone key (%s)", room, exc)
            card = line[: MAX_CARD + 1]  # refused as malformed, and recorded as a denied access
        gateway.card_presented(room, card)

    return [SerialScanner(door=room, url=url, on_scan=scanned) for room, url in ports.items()]


def pi_hardware(config: GatewayConfig, *, pin_factory: Any = None,
                open_reader: OpenReader | None = None) -> DoorHardware:
    """Door nodes on the bus, rooms wired to the GPIO, or both, as the settings name them."""
    from edge.floor_bus import BusFloor  # GPIO and serial libraries only on a real floor
    from edge.gpio_floor import GpioDoor, GpioFloor, MixedFloor, open_libnfc

    open_reader = open_reader or open_libnfc

    doors = {room: GpioDoor(lock=d.lock, contact=d.contact, pir=d.pir, reader=d.reader,
                            lock_active_high=d.lock_active_high, lock_sense=d.lock_sense)
             for room, d in config.gpio_rooms.items()}
    if not config.door_nodes and not config.facility_doors:
        return GpioFloor(doors, pin_factory=pin_factory, open_reader=open_reader,
                         motion_pins=config.motion_pins)
    bus = BusFloor(port_url=config.serial_url, nodes=config.door_nodes, rs485=config.serial_rs485,
                   baudrate=config.serial_baud,
                   unlock_s=config.unlock_s, motion_pins=config.motion_pins, pin_factory=pin_factory,
                   facilities={name: door.node for name, door in config.facility_doors.items()})
    if not doors:
        return bus
    gpio = GpioFloor(doors, pin_factory=pin_factory, open_reader=open_reader)
    return MixedFloor([(bus, list(config.door_nodes)), (gpio, list(doors))])


def simulated_desk(gateway: Gateway) -> Callable[[str], bytes]:
    """The card encoder of a simulated floor: it signs keycards with a key it installs here."""
    config = gateway.config
    assert config.site_number is not None and config.floor_number is not None
    desk = SimulatedDesk.load_or_create(gateway.store, site=config.site_number, floor=config.floor_number)
    ack = gateway.command("key.upsert", desk.key_command())
    if ack is None or not ack.ok:
        raise ConfigError(f"the simulated desk's key was refused: {ack.error if ack else 'no answer'}")
    return lambda room: desk.issue(room, now=gateway.now())


if __name__ == "__main__":  # ``python -m edge.app`` as before: the command line lives in edge.main
    from edge.main import main

    raise SystemExit(main())
