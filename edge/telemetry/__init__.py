"""Room and gateway telemetry: sensors, deadband sampling, offline backlog, the pump."""

from edge.telemetry.backlog import TelemetryBacklog
from edge.telemetry.errors import SensorError, TelemetryError
from edge.telemetry.pump import PumpResult, TelemetryBatch, TelemetryPort, TelemetryPump
from edge.telemetry.sampling import DrainBudget, Sampler, SamplingPolicy
from edge.telemetry.sensors import Readings, Sensor

__all__ = [
    "DrainBudget",
    "PumpResult",
    "Readings",
    "Sampler",
    "SamplingPolicy",
    "Sensor",
    "SensorError",
    "TelemetryBacklog",
    "TelemetryBatch",
    "TelemetryError",
    "TelemetryPort",
    "TelemetryPump",
]
