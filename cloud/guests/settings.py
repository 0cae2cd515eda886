"""Settings of the guest registry: encryption keys and frequent-guest thresholds."""

from __future__ import annotations

from pydantic import Field

from cloud.core.config import AreaSettings


class GuestSettings(AreaSettings):

    secret_key: str = Field(default="change-me-posada-development-only",
                            description="keys are derived from it only when none are configured")
    guest_keys: str = Field(
        default="",
        description="data keys as kid=base64(32 bytes),kid2=...; required by `posada cloud` (empty: "
                    "derived from the secret key, for the demo and tests)",
    )
    guest_active_key: str = Field(default="", description="kid encrypting new data (default: the last)")
    guest_index_key: str = Field(default="", description="base64(32 bytes) keying the blind indexes; "
                                                         "required by `posada cloud`")
    frequent_guest_stays: int = Field(default=5, ge=1, description="stays that make a guest frequent")
    frequent_guest_nights: int = Field(default=20, ge=1, description="nights that make a guest frequent")
