# RP2040 firmware (Raspberry Pi Pico W) with the door node frozen in (from ports/rp2):
#   make BOARD=RPI_PICO_W FROZEN_MANIFEST=<repo>/firmware/boards/rp2/manifest.py
include("$(BOARD_DIR)/manifest.py")
include("../../doornode/manifest.py")
