"""Errors of the cloud's telemetry."""

from __future__ import annotations

from cloud.core.errors import Conflict, NotFound


class TelemetryError(Exception):
    """Base of telemetry errors in the cloud."""


class TelemetryWriteError(TelemetryError):
    """A time-series write failed; ``permanent`` says whether retrying the same batch can help."""

    def __init__(self, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        self.permanent = permanent


class TaskNotFound(NotFound):
    type_ = "/problems/maintenance-task-not-found"
    title = "Maintenance task not found"


class TaskTransitionRefused(Conflict):
    type_ = "/problems/maintenance-task-transition"
    title = "Maintenance task cannot change that way"
