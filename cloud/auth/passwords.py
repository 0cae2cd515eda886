"""Password hashing with argon2id (argon2-cffi); the only module that touches the library."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cloud.auth.settings import AuthSettings

MIN_LENGTH = 10
MAX_LENGTH = 1024


class Passwords:
    def __init__(self, settings: AuthSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # Verified against for unknown usernames, so timing does not reveal who exists.
        self._decoy = self._hasher.hash("posada-decoy-password")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True if ``password`` matches; an unknown user (``stored`` None) costs the same time."""
        try:
            return self._hasher.verify(stored or self._decoy, password[:MAX_LENGTH]) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


def password_problem(password: str, *, username: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"password must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"password must have at most {MAX_LENGTH} characters"
    if username.casefold() in password.casefold():
        return "password must not contain the username"
    return None
