# ESP32 firmware with the door node frozen in (MicroPython 1.27+, from ports/esp32):
#   make BOARD=ESP32_GENERIC FROZEN_MANIFEST=<repo>/firmware/boards/esp32/manifest.py
include("$(PORT_DIR)/boards/manifest.py")
include("../../doornode/manifest.py")
