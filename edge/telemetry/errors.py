"""Errors of the gateway's telemetry."""


class TelemetryError(Exception):
    """Base of telemetry errors on the gateway."""


class SensorError(TelemetryError):
    """A sensor could not be read this time; the pump counts it and carries on."""
