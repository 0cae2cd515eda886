# Freeze the door node package into a MicroPython build:
#   include("$(MPY_DIR)/../posada/firmware/doornode/manifest.py")
metadata(description="Posada door node: serial frames, allowlist, node driver", version="0.1.0")

package("doornode", base_path="..", opt=3)
