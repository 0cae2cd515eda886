# Freeze the door node package into a MicroPython build (a board's manifest includes this one:
# firmware/boards/esp32/manifest.py, firmware/boards/rp2/manifest.py). The files are listed so
# that the manifest itself is not frozen; tests/firmware/test_fw_manifest.py checks the list.
metadata(description="Posada door node: serial frames, PN532 reader, lock, node", version="0.2.0")

package(
    "doornode",
    files=["__init__.py", "allowlist.py", "board.py", "clock.py", "frame.py", "lock.py",
           "node.py", "ntag.py", "pn532.py", "run.py"],
    base_path="..",
    opt=3,
)
