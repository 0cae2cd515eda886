"""Reservations and stays: availability, pricing, room assignment, groups, check-in and check-out."""
