"""Gateway settings: a TOML file and ``POSADA_<NAME>`` environment variables (the environment wins).

Written without pydantic-settings so the gateway installs without the cloud's dependencies.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from edge.access.hours import OpeningHours
from edge.errors import ConfigError
from mqtt.topics import TopicError, check_slug
from mqtt.url import BrokerAddress, parse_mqtt_url

ENV_PREFIX = "POSADA_"
BCM_PINS = (0, 27)
SERIAL_BAUDS = (115_200, 230_400, 460_800, 921_600, 1_000_000)  # as edge.hw.serial_bus.BAUDRATES
AreaName = Literal["pool", "gym", "spa", "parking", "entrance", "lounge", "business_centre", "laundry",
                   "staff"]


class FacilityDoorSettings(BaseModel):
    """A reader that is not a room's: a common area (its area bit) or, with no area, a floor reader
    (a lift landing or stair door: the card's lift-floor bit for this floor). On the door-node bus."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    node: int = Field(ge=1, le=126, description="door node address on the bus")
    area: AreaName | None = Field(default=None, description="the common area it guards")
    hours: str | None = Field(default=None, description="opening hours for guests, e.g. 07:00-22:00")
    mode: Literal["door", "clock"] = Field(
        default="door", description="clock: a staff time clock (area staff), its decision is a punch")
    by_booking: bool = Field(
        default=False,
        description="guests' own cards open it only within a slot booked for their stay (facility.slot)")

    @model_validator(mode="after")
    def _clock_is_for_staff(self) -> FacilityDoorSettings:
        if self.mode == "clock" and self.area != "staff":
            raise ValueError("a time clock guards the staff area")
        if self.by_booking and self.area not in ("pool", "gym", "spa", "lounge", "business_centre"):
            raise ValueError(
                "only a facility's door (pool, gym, spa, lounge, business centre) opens by booking")
        return self


class LiftSettings(BaseModel):
    """An in-lift panel on the Pi: its card reader and a floor-enable relay per floor it serves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reader: str = Field(min_length=1, max_length=200, description="libnfc connstring of the car's reader")
    floors: dict[int, int] = Field(min_length=1, description="floor number -> BCM pin of its enable relay")
    public: list[int] = Field(default_factory=list, description="floors enabled without a card (lobby)")
    hours: str | None = Field(default=None, description="opening hours for guests, e.g. 06:00-24:00")
    enable_s: float = Field(default=10.0, gt=0, le=120, description="how long a card's floors stay enabled")


class GpioDoorSettings(BaseModel):
    """A room's door wired to the Pi itself: BCM pins, and the reader's libnfc connstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lock: int = Field(ge=BCM_PINS[0], le=BCM_PINS[1], description="lock relay (energised: unlocked)")
    contact: int = Field(ge=BCM_PINS[0], le=BCM_PINS[1], description="door reed switch to ground")
    pir: int | None = Field(default=None, ge=BCM_PINS[0], le=BCM_PINS[1], description="PIR sensor")
    reader: str | None = Field(default=None, min_length=1, max_length=200,
                               description="card reader, a libnfc connstring such as pn532_i2c:/dev/i2c-1")
    lock_active_high: bool = Field(default=True, description="the relay is energised by a high level")
    lock_sense: int | None = Field(default=None, ge=BCM_PINS[0], le=BCM_PINS[1],
                                   description="the lock's monitor switch to ground, closed while locked")

    def pins(self) -> list[int]:
        return [p for p in (self.lock, self.contact, self.pir, self.lock_sense) if p is not None]


class GatewayConfig(BaseModel):
    """Every field is ``<name>`` in the config file or ``POSADA_<NAME>`` in the environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: str = Field(description="site slug of this gateway, e.g. 'hotel'")
    floor: str = Field(description="floor slug of this gateway, e.g. 'f1'")
    rooms: list[str] = Field(min_length=1, max_length=500,
                             description="room slugs on this floor (env: comma-separated)")
    mqtt_url: str = Field(default="mqtt://127.0.0.1:1883", repr=False,
                          description="mqtt[s]://user:password@host:port; user defaults to gw.{site}.{floor}")
    mqtt_ca_file: Path | None = Field(default=None,
                                      description="CA certificates for mqtts:// (the system's when unset)")
    mqtt_cert_file: Path | None = Field(default=None,
                                        description="this gateway's client certificate for mqtts:// "
                                                    "(posada provision cert); its CN is the broker user")
    mqtt_key_file: Path | None = Field(default=None,
                                       description="the client certificate's private key (made here)")
    mqtt_protocol: Literal["3.1.1", "5"] = Field(default="5", description="MQTT protocol version")
    mqtt_keepalive_s: int = Field(default=30, ge=5, le=3600, description="MQTT keepalive, seconds")
    session_expiry_s: int = Field(default=7 * 86400, ge=60,
                                  description="MQTT 5 session expiry; the broker keeps commands this long")
    data_dir: Path = Field(default=Path("var/edge"), description="directory of the gateway's SQLite store")
    disk_reserve_mb: int = Field(default=8, ge=0, le=1024,
                                 description="disk kept back beside the store, released when the disk fills")
    access: Literal["keycard"] = Field(
        default="keycard", description="'keycard' (the one mode): signed cards checked offline")
    site_number: int | None = Field(default=None, ge=0, le=0xFFFF,
                                    description="the site's number on keycards (needed for 'keycard')")
    floor_number: int | None = Field(default=None, ge=0, le=254,
                                     description="this floor's number on keycards (needed for 'keycard')")
    trust_system_clock: bool = Field(default=False,
                                     description="trust the OS clock without an NTP sync (containers, demo)")
    hardware: Literal["sim", "pi"] = Field(default="sim",
                                           description="'sim' simulated floor, 'pi' real GPIO/serial")
    serial_url: str = Field(default="/dev/ttyAMA0",
                            description="door-node bus: serial device or pyserial URL")
    serial_rs485: bool = Field(default=False, description="door-node bus: kernel RS-485 direction control")
    serial_baud: int = Field(
        default=115_200,
        description="door-node bus: baud rate (8N1), the same on every node (firmware make_node)")
    door_nodes: dict[str, int] = Field(default_factory=dict,
                                       description="door-node bus: room -> node address (env: JSON object)")
    motion_pins: dict[str, int] = Field(default_factory=dict,
                                        description="PIR sensors on GPIO: room -> BCM pin (env: JSON)")
    gpio_rooms: dict[str, GpioDoorSettings] = Field(
        default_factory=dict,
        description="rooms wired to the Pi, no door node: room -> {lock, contact, pir?, reader?} (env: JSON)")
    facility_doors: dict[str, FacilityDoorSettings] = Field(
        default_factory=dict,
        description="pool, gym, parking, floor readers: name -> {node, area?, hours?} (env: JSON)")
    lifts: dict[str, LiftSettings] = Field(
        default_factory=dict,
        description="in-lift panels on the Pi: name -> {reader, floors {floor: pin}, public?, hours?}")
    qr_scanners: dict[str, str] = Field(
        default_factory=dict,
        description="phone keys: room -> the serial port of its door's 2-D scanner (USB CDC mode) "
                    "(env: JSON)")
    timezone: str = Field(default="UTC", description="the property's time zone (opening hours)")
    setback_c: float | None = Field(default=None, gt=0, le=15,
                                    description="energy saving: degrees set back, nobody in (unset: off)")
    comfort_c: float = Field(default=21.0, ge=10, le=30, description="energy saving: the comfort setpoint")
    setback_after_s: float = Field(default=1200.0, ge=0, description="energy saving: nobody in this long")
    hvac_kw_per_c: float = Field(default=0.05, gt=0, le=10,
                                 description="energy saving: HVAC power per degree held, per room (estimate)")
    room_power: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description="energy saving relays: room -> {setback, lights?} BCM pins (env: JSON)")
    climate_sensors: dict[str, str] = Field(
        default_factory=dict,
        description="room -> IIO device: its name (bme280, si7020) or its sysfs path (env: JSON)")
    power_meters: dict[str, str] = Field(
        default_factory=dict,
        description="room -> IIO power monitor: its name (ina226, ina219) or its sysfs path (env: JSON)")
    resend_after_s: float = Field(default=15.0, gt=0, le=3600,
                                  description="republish an event the cloud has not confirmed after this")
    inflight_window: int = Field(default=1000, ge=1, le=65_535,
                                 description="events published but not yet PUBACKed, at most (the "
                                             "provisioned broker's max_inflight_messages; an MQTT 5 "
                                             "broker's smaller Receive Maximum wins)")
    event_batch_max: int = Field(default=200, ge=1, le=1000,
                                 description="events per MQTT message when more are waiting (an "
                                             "events.batch, at most 63 KiB); 1 sends single events only, "
                                             "for a cloud that predates batches")
    reconnect_min_s: float = Field(default=1.0, gt=0, description="first reconnect delay")
    reconnect_max_s: float = Field(default=30.0, gt=0, description="longest reconnect delay")
    tick_s: float = Field(default=1.0, gt=0, le=60, description="room timers resolution (ajar, vacancy)")
    vacancy_quiet_s: float = Field(default=900.0, ge=0,
                                   description="door closed and no motion this long after checkout: vacated")
    absence_quiet_s: float = Field(default=1800.0, ge=0,
                                   description="door closed and no motion this long: guest not present")
    ajar_after_s: float = Field(default=120.0, gt=0, description="door open this long: door.ajar event")
    unlock_s: int = Field(default=5, ge=1, le=60, description="seconds a granted door stays unlocked")
    telemetry_interval_s: float = Field(default=10.0, ge=0.05, le=3600,
                                        description="read the sensors this often (the deadband decides)")
    telemetry_max_interval_s: float = Field(default=300.0, gt=0, le=86_400,
                                            description="send a reading at least this often, changed or not")
    telemetry_backlog_bucket_s: int = Field(default=60, ge=1, le=86_400,
                                            description="offline telemetry: one sample per room per bucket")
    telemetry_backlog_max_rows: int = Field(default=50_000, ge=1, le=10_000_000,
                                            description="offline telemetry samples kept (oldest go first)")
    telemetry_drain_per_s: float = Field(default=5.0, gt=0, le=1000,
                                         description="backlogged telemetry batches sent per second, at most")
    telemetry_hold_s: float = Field(default=30.0, ge=0, le=3600,
                                    description="readings waiting behind events this long go to the backlog")
    sim_rate: float = Field(default=1.0, gt=0, le=10_000,
                            description="simulated floor: guest actions per second")
    sim_seed: int | None = Field(default=None, description="simulated floor: RNG seed (reproducible runs)")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO",
                                                                    description="logging level")

    @field_validator("serial_baud")
    @classmethod
    def _supported_baud(cls, value: int) -> int:
        if value not in SERIAL_BAUDS:
            raise ValueError(f"must be one of {', '.join(map(str, SERIAL_BAUDS))}")
        return value

    @field_validator("site", "floor")
    @classmethod
    def _slug(cls, value: str) -> str:
        try:
            return check_slug(value, "slug")
        except TopicError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("rooms")
    @classmethod
    def _rooms(cls, value: list[str]) -> list[str]:
        for room in value:
            try:
                check_slug(room, "room")
            except TopicError as exc:
                raise ValueError(str(exc)) from None
        if len(set(value)) != len(value):
            raise ValueError("rooms are listed more than once")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> GatewayConfig:
        address = broker_address(self)
        if (self.mqtt_cert_file is None) != (self.mqtt_key_file is None):
            raise ValueError("mqtt_cert_file and mqtt_key_file go together")
        if address.cert_file and not address.tls:
            raise ValueError("a client certificate needs an mqtts:// broker URL")
        named = {*self.door_nodes, *self.motion_pins, *self.gpio_rooms, *self.climate_sensors,
                 *self.power_meters, *self.room_power, *self.qr_scanners}
        unknown = sorted(named - set(self.rooms))
        if unknown:
            raise ValueError(f"hardware settings name rooms not on this floor: {unknown[:5]}")
        if any(not 1 <= a <= 247 for a in self.door_nodes.values()):
            raise ValueError("door_nodes addresses must be 1..247")
        both = sorted(set(self.door_nodes) & set(self.gpio_rooms))
        if both:
            raise ValueError(f"rooms with a door node and GPIO wiring at once: {both[:5]}")
        pins = [p for door in self.gpio_rooms.values() for p in door.pins()] + list(self.motion_pins.values())
        pins += [p for lift in self.lifts.values() for p in lift.floors.values()]
        if len(pins) != len(set(pins)):
            raise ValueError("gpio_rooms, motion_pins and lifts use a GPIO pin more than once")
        self._check_facilities()
        self._check_lifts()
        if self.hardware == "pi" and not (self.door_nodes or self.gpio_rooms or self.facility_doors):
            raise ValueError("hardware 'pi' needs door_nodes (room -> node address) or gpio_rooms")
        if self.access == "keycard":
            if self.site_number is None or self.floor_number is None:
                raise ValueError("access 'keycard' needs site_number and floor_number")
            bad = [r for r in self.rooms if not r.isdigit() or not 0 < int(r) <= 0xFFFF]
            if bad:
                raise ValueError(f"access 'keycard' needs numbered rooms (1..65535), not {bad[:5]}")
        return self

    def _check_lifts(self) -> None:
        for name, lift in self.lifts.items():
            try:
                check_slug(name, "lift")
            except TopicError as exc:
                raise ValueError(str(exc)) from None
            if lift.hours is not None:
                OpeningHours.parse(lift.hours, ZoneInfo(self.timezone))
            if any(not 0 <= f < 64 for f in lift.floors) or any(not BCM_PINS[0] <= p <= BCM_PINS[1]
                                                               for p in lift.floors.values()):
                raise ValueError(f"lift {name}: floors are 0..63 (the card's lift bits), pins BCM 0..27")
            if not set(lift.public) <= set(lift.floors):
                raise ValueError(f"lift {name}: public floors must be floors it serves")

    def _check_facilities(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        for name, door in self.facility_doors.items():
            try:
                check_slug(name, "door")
            except TopicError as exc:
                raise ValueError(str(exc)) from None
            if door.hours is not None:
                OpeningHours.parse(door.hours, zone)
        clash = sorted(set(self.facility_doors) & set(self.rooms))
        if clash:
            raise ValueError(f"facility doors named like rooms: {clash[:5]}")
        addresses = [*self.door_nodes.values(), *(d.node for d in self.facility_doors.values())]
        if len(addresses) != len(set(addresses)):
            raise ValueError("door_nodes and facility_doors share a node address")

    @property
    def source(self) -> str:
        """The envelope source and MQTT username of this gateway."""
        return f"gw.{self.site}.{self.floor}"

    @property
    def client_id(self) -> str:
        return f"gw-{self.site}-{self.floor}"

    @property
    def db_path(self) -> Path:
        return self.data_dir / f"gateway-{self.site}-{self.floor}.db"

    @property
    def telemetry_db_path(self) -> Path:
        """The telemetry backlog's own SQLite file (never the event store's)."""
        return self.data_dir / f"telemetry-{self.site}-{self.floor}.db"


def broker_address(config: GatewayConfig) -> BrokerAddress:
    """Host, port and credentials from ``mqtt_url``; the user defaults to ``gw.{site}.{floor}``.

    The protocol is ``mqtt_protocol`` unless the URL says ``?protocol=`` itself.
    """
    address = parse_mqtt_url(config.mqtt_url)
    protocol = address.protocol if "protocol=" in urlsplit(config.mqtt_url).query else \
        (5 if config.mqtt_protocol == "5" else 4)
    return replace(address, username=address.username or config.source, protocol=protocol,
                   ca_file=address.ca_file or _text(config.mqtt_ca_file),
                   cert_file=address.cert_file or _text(config.mqtt_cert_file),
                   key_file=address.key_file or _text(config.mqtt_key_file))


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def load_config(path: Path | None = None, *, env: Mapping[str, str] | None = None,
                overrides: Mapping[str, Any] | None = None) -> GatewayConfig:
    """Read the file (if any), then the environment, then explicit overrides; validate once."""
    values: dict[str, Any] = {}
    if path is not None:
        values.update(_read_toml(path))
    values.update(_from_env(os.environ if env is None else env))
    values.update(overrides or {})
    try:
        return GatewayConfig.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid gateway configuration: {problems}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    table = data.get("edge", data)
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [edge] must be a table")
    return table


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in GatewayConfig.model_fields:
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is None:
            continue
        if name == "rooms":
            values[name] = _list_value(raw)
        elif name in ("door_nodes", "motion_pins", "gpio_rooms", "climate_sensors", "power_meters",
                      "facility_doors", "room_power", "qr_scanners"):
            values[name] = _json_value(raw)
        else:
            values[name] = raw
    return values


def _json_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw  # validation names the setting


def _list_value(raw: str) -> list[str] | str:
    text = raw.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            return raw
        return parsed if isinstance(parsed, list) else raw
    return [item.strip() for item in text.split(",") if item.strip()]


def settings_help() -> str:
    """One line per setting: file key, environment variable, default, what it is for."""
    lines = ["Settings (config file key / environment variable, default: meaning):"]
    for name, field in GatewayConfig.model_fields.items():
        default = "required" if field.is_required() else repr(field.get_default(call_default_factory=True))
        lines.append(f"  {name} / {ENV_PREFIX}{name.upper()} [{default}]: {field.description}")
    return "\n".join(lines)
