"""The reservations fixtures (migrated database, demo hotel, card issuer) for the keycard tests."""

from tests.cloud.reservations.conftest import (  # noqa: F401
    _fast_password_hashing,
    engine,
    issuer,
    session,
    sessions,
)
