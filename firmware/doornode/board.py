# Wiring of a door node on an ESP32 (or RP2040) board: the only file that touches machine.
# The card reader driver comes from the caller, so any reader (PN532, RC522, Wiegand)
# that offers read() -> bytes or None fits:
#
#   from doornode.board import make_node
#   from doornode.run import run_forever
#   run_forever(make_node(my_reader, address=12))
import machine

from .node import DoorNode

BAUDRATE = 115200


class BatteryGauge:
    """Lock battery through a resistor divider on an ADC pin, in millivolts."""

    def __init__(self, adc, divider=2.0):
        self.adc = adc
        self.divider = divider

    def __call__(self):
        return int(self.adc.read_uv() * self.divider / 1000)


def make_node(reader, address, uart_id=1, tx=17, rx=16, de=4, lock=26, contact=27,
              battery=34, lock_active=1, divider=2.0):
    uart = machine.UART(uart_id, baudrate=BAUDRATE, bits=8, parity=None, stop=1,
                        tx=tx, rx=rx, rxbuf=1024)
    driver_enable = machine.Pin(de, machine.Pin.OUT, value=0) if de is not None else None
    lock_pin = machine.Pin(lock, machine.Pin.OUT, value=1 - lock_active)
    contact_pin = machine.Pin(contact, machine.Pin.IN, machine.Pin.PULL_UP)
    gauge = None
    if battery is not None:
        gauge = BatteryGauge(machine.ADC(machine.Pin(battery)), divider)
    # A reed switch to ground reads 0 while the door is closed: open is level 1.
    return DoorNode(uart, lock_pin, contact_pin, reader, address, battery=gauge,
                    de=driver_enable, lock_active=lock_active, open_level=1)
