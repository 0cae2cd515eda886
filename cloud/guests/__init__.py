"""Guests: registration, encrypted personal data, profiles, stays, duplicates, export and erasure."""
