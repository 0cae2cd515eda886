"""Bookable facilities: opening hours, capacity, half-open slots, a door pass per booking."""
