"""Every table of reservations and stays, for metadata registration."""

from cloud.reservations import models, models_groups, models_stays

__all__ = ["models", "models_groups", "models_stays"]
