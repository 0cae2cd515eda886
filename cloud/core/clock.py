"""The cloud's notion of now: one injectable clock, aware UTC instants only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mqtt.envelope import utcnow

Clock = Callable[[], datetime]

__all__ = ["Clock", "utcnow"]
