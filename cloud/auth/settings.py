"""Settings of staff access: sessions, sign-in throttling, password hashing."""

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
    lockout_threshold: int = Field(default=5, ge=1, description="failed sign-ins to one account before "
                                   "each further attempt must wait (waits double from the first)")
    lockout_window_minutes: int = Field(
        default=15, ge=1, description="a spell this long without a failure forgets an account's or "
        "an address's failures"
    )
    signin_first_wait_seconds: int = Field(default=1, ge=1, description="the first wait after too many "
                                           "failed sign-ins")
    signin_account_longest_wait_seconds: int = Field(
        default=60, ge=1, description="the longest wait an account's failures impose: anyone may cause "
        "it, so it stays short; a manager or an unlock link clears it")
    signin_address_threshold: int = Field(default=20, ge=1, description="failed sign-ins from one client "
                                          "address (any accounts) before its attempts must wait")
    signin_address_longest_wait_seconds: int = Field(
        default=900, ge=1, description="the longest wait one address's failures impose")
    argon2_time_cost: int = Field(default=3, ge=1, description="argon2id iterations")
    argon2_memory_kib: int = Field(default=65536, ge=8, description="argon2id memory in KiB")
    argon2_parallelism: int = Field(default=4, ge=1, description="argon2id lanes")
    api_token_days: int = Field(default=365, ge=1, description="API tokens expire after this many days")
