# Wiring of a door node on an ESP32 or RP2040 board: the only file that touches machine.
#
#   from doornode.board import make_node, make_reader
#   from doornode.run import run_forever
#   run_forever(make_node(make_reader(), address=12))            # 115,200 baud
#   run_forever(make_node(make_reader(), address=12, baudrate=1000000))  # the gateway's serial_baud
#
# The reader is a PN532 on I2C (pn532.py); any driver with read() -> bytes or None fits.
# Pin numbers are the defaults of each port (PINS) and every one can be given instead.
import sys

import machine

from .node import DoorNode
from .pn532 import PN532

BAUDRATE = 115200  # the bus's default; every node and its gateway must use the same rate
# Rates the bus supports (the gateway's serial_baud): RS-485 transceivers such as the
# MAX3485 run 10 Mbit/s, both boards' UARTs reach 1 Mbaud (ESP32 up to 5, RP2040 up to ~7.8).
BAUDRATES = (115200, 230400, 460800, 921600, 1000000)
I2C_HZ = 400000  # the PN532 runs I2C at up to 400 kHz

PINS = {
    # ESP32 DevKit: UART1 on 17/16, I2C0 on 21/22, ADC1 on 34 (input only)
    "esp32": {"uart": 1, "tx": 17, "rx": 16, "de": 4, "lock": 26, "contact": 27,
              "lock_sense": 25, "handle": 33, "battery": 34, "i2c": 0, "sda": 21, "scl": 22},
    # Raspberry Pi Pico (W): UART1 on GP4/GP5, I2C0 on GP16/GP17, ADC0 on GP26
    "rp2": {"uart": 1, "tx": 4, "rx": 5, "de": 6, "lock": 15, "contact": 14,
            "lock_sense": 13, "handle": 12, "battery": 26, "i2c": 0, "sda": 16, "scl": 17},
}


def pins(**given):
    """The port's default pins, with ``given`` ones instead (None: not fitted)."""
    chosen = dict(PINS.get(sys.platform, PINS["esp32"]))
    chosen.update(given)
    return chosen


class BatteryGauge:
    """Lock battery through a resistor divider on an ADC pin, in millivolts."""

    def __init__(self, adc, divider=2.0):
        self.adc = adc
        self.divider = divider

    def __call__(self):
        return int(self.adc.read_uv() * self.divider / 1000)


def make_reader(**given):
    p = pins(**given)
    bus = machine.I2C(p["i2c"], scl=machine.Pin(p["scl"]), sda=machine.Pin(p["sda"]),
                      freq=I2C_HZ)
    return PN532(bus)


def _input(number):
    if number is None:
        return None
    return machine.Pin(number, machine.Pin.IN, machine.Pin.PULL_UP)


def make_node(reader, address, lock_active=1, divider=2.0, baudrate=BAUDRATE, **given):
    if baudrate not in BAUDRATES:
        raise ValueError("baudrate must be one of %r" % (BAUDRATES,))
    p = pins(**given)
    uart = machine.UART(p["uart"], baudrate=baudrate, bits=8, parity=None, stop=1,
                        tx=machine.Pin(p["tx"]), rx=machine.Pin(p["rx"]), rxbuf=1024)
    de = p["de"]
    driver_enable = machine.Pin(de, machine.Pin.OUT, value=0) if de is not None else None
    lock_pin = machine.Pin(p["lock"], machine.Pin.OUT, value=1 - lock_active)
    gauge = None
    if p["battery"] is not None:
        gauge = BatteryGauge(machine.ADC(machine.Pin(p["battery"])), divider)
    # Reed switch, strike monitor and handle switch to ground with pull-ups: a closed door
    # reads 0 (open is level 1), a released strike reads 1, a turned handle reads 0.
    contact = machine.Pin(p["contact"], machine.Pin.IN, machine.Pin.PULL_UP)
    return DoorNode(uart, lock_pin, contact, reader, address, battery=gauge,
                    de=driver_enable, lock_active=lock_active, open_level=1,
                    lock_sense=_input(p["lock_sense"]), sense_unlocked=1,
                    handle=_input(p["handle"]), handle_level=0)
