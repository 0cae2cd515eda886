"""Settings of staff access: sessions, lockout, password hashing."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloud.core.config import AreaSettings


class AuthSettings(AreaSettings):
    """Every field is ``POSADA_<NAME>`` in the environment."""

    secret_key: str = Field(
        default="change-me-posada-development-only",
        description="binds CSRF tokens to their session; the same value the cloud signs with",
    )
    session_lifetime_minutes: int = Field(default=12 * 60, ge=1, description="a sign-in lasts this long")
    session_idle_minutes: int = Field(default=60, ge=1, description="a session unused this long ends")
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto", description="Secure cookie flag: auto sets it when served over https"
    )
    lockout_threshold: int = Field(default=5, ge=1, description="failed sign-ins before the account locks")
    lockout_window_minutes: int = Field(
        default=15, ge=1, description="failures older than this are forgotten"
    )
    lockout_minutes: int = Field(default=15, ge=1, description="how long a locked account stays locked")
    argon2_time_cost: int = Field(default=3, ge=1, description="argon2id iterations")
    argon2_memory_kib: int = Field(default=65536, ge=8, description="argon2id memory in KiB")
    argon2_parallelism: int = Field(default=4, ge=1, description="argon2id lanes")
    api_token_days: int = Field(default=365, ge=1, description="API tokens expire after this many days")
