"""Settings a production process accepts (a real secret, given guest-data keys), for tests that
start ``posada cloud`` or the telemetry worker."""

from __future__ import annotations

import base64
import os


def production_env() -> dict[str, str]:
    def key() -> str:
        return base64.b64encode(os.urandom(32)).decode()

    return {"POSADA_SECRET_KEY": os.urandom(24).hex(), "POSADA_GUEST_KEYS": f"k1={key()}",
            "POSADA_GUEST_INDEX_KEY": key()}
