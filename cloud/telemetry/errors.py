"""Errors of the cloud's telemetry."""

from __future__ import annotations


class TelemetryError(Exception):
    """Base of telemetry errors in the cloud."""


class TelemetryWriteError(TelemetryError):
    """A time-series write failed; ``permanent`` says whether retrying the same batch can help."""

    def __init__(self, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        self.permanent = permanent
