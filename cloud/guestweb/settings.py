"""Settings of the guest pages: how long a hold lasts, how often one address may ask, who may frame."""

from __future__ import annotations

from pydantic import Field

from cloud.core.config import AreaSettings


class GuestWebSettings(AreaSettings):

    guestweb_hold_minutes: int = Field(default=30, ge=5, le=24 * 60,
                                       description="an unpaid online booking is released after this")
    guestweb_link_days: int = Field(default=400, ge=1, description="a guest's signed link works this long")
    guestweb_searches_per_minute: int = Field(default=60, ge=1,
                                              description="searches one client address may make a minute")
    guestweb_bookings_per_hour: int = Field(default=10, ge=1,
                                            description="bookings and payments one address may start an hour")
    guestweb_shared_limits: bool | None = Field(
        default=None, description="count each client's requests in the database, shared by every HTTP "
                                  "worker (unset: when http_workers is more than 1)")
    guestweb_frame_ancestors: dict[str, list[str]] = Field(
        default_factory=dict,
        description='per property, the origins that may frame its booking pages, as JSON '
                    '({"hotel": ["https://www.hotel.example"]}); unlisted: only this site')
    guestweb_public_url: str = Field(default="", description="the public base URL of the guest pages "
                                     "(links in emails and Stripe's return URLs); empty: the request's")
    guestweb_document_days: int = Field(default=1095, ge=0, description="days after departure a "
                                        "pre-check-in's ID document is kept (then erased from the profile)")
