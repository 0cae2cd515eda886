"""Door node firmware (MicroPython); importable from CPython for the gateway and tests."""
