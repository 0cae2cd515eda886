"""Notification settings, read from"""

from __future__ import annotations

from pydantic import Field

from cloud.core.config import AreaSettings


class NotifySettings(AreaSettings):

    whatsapp_api_base: str = Field(default="https://graph.facebook.com", description="Graph API")
    whatsapp_api_version: str = Field(default="v21.0", description="Graph API version")
    whatsapp_token: str | None = Field(default=None, description="WhatsApp Cloud API token")
    whatsapp_phone_number_id: str | None = Field(default=None, description="sender's number id")
    whatsapp_app_secret: str | None = Field(
        default=None, description="Meta app secret: verifies X-Hub-Signature-256 of webhooks")
    whatsapp_verify_token: str | None = Field(
        default=None, description="token Meta echoes when subscribing the webhook")
    whatsapp_templates: dict[str, str] = Field(
        default_factory=lambda: {
            "booking_confirmation": "booking_confirmation",
            "checkout_reminder": "checkout_reminder",
            "payment_reminder": "payment_reminder",
        },
        description="JSON: our template -> approved WhatsApp template (outside the 24 h window)",
    )
    telegram_api_base: str = Field(default="https://api.telegram.org", description="Bot API")
    telegram_bot_token: str | None = Field(default=None, description="Telegram bot token")
    telegram_webhook_secret: str | None = Field(
        default=None, description="secret_token given to setWebhook: checks X-Telegram-Bot-Api-Secret-Token"
    )
    telegram_housekeeping_chats: dict[str, str] = Field(
        default_factory=dict, description='JSON: "site/floor" (or "site/*") -> housekeeping chat id'
    )
    telegram_maintenance_chats: dict[str, str] = Field(
        default_factory=dict, description='JSON: "site/floor" (or "site/*") -> maintenance chat id (alerts)'
    )
    telegram_front_desk_chats: dict[str, str] = Field(
        default_factory=dict, description="JSON: site -> front desk chat id (escalations)"
    )
    site_timezones: dict[str, str] = Field(
        default_factory=dict, description='JSON: site -> IANA zone for times in messages'
    )
    notify_staff_language: str = Field(default="en", description="language of staff messages")
    notify_max_attempts: int = Field(default=8, ge=1, description="attempts before dead letter")
    notify_backoff_base_s: float = Field(default=5.0, gt=0, description="first retry delay")
    notify_backoff_max_s: float = Field(default=3600.0, gt=0, description="longest retry delay")
    notify_lease_s: float = Field(default=120.0, gt=0, description="claim lease of a sender")
    notify_batch: int = Field(default=50, ge=1, description="messages claimed per round")
    notify_send_threads: int = Field(default=1, ge=1, le=16, description="parallel sends")
    notify_keep_days: int = Field(default=30, ge=1, description="days sent messages are kept")
    notify_poll_s: float = Field(default=1.0, gt=0, description="outbox poll interval")
    notify_http_timeout_s: float = Field(default=10.0, gt=0, description="outbound HTTP timeout")
    reminder_checkout_before_min: int = Field(
        default=120, ge=0, description="checkout reminder, minutes before the checkout hour"
    )
    reminder_before_arrival_h: int = Field(
        default=48, ge=0, description="balance reminder, hours before arrival"
    )
    reminder_after_departure_h: list[int] = Field(
        default_factory=lambda: [24, 72, 168],
        description="JSON: balance reminders, hours after departure",
    )
    reminder_escalate_after: int = Field(
        default=2, ge=1, description="after this many post-departure reminders, tell the desk"
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for guest email; unset: simulated")
    smtp_port: int = Field(default=587, description="SMTP port (587: submission with STARTTLS)")
    smtp_starttls: bool = Field(default=True,
                                description="upgrade to TLS with STARTTLS (a server without it is refused)")
    smtp_username: str | None = Field(default=None, description="SMTP login")
    smtp_password: str | None = Field(default=None, description="SMTP password")
    smtp_from: str = Field(default="Posada <no-reply@localhost>", description="From: of guest email")
    smtp_ca_file: str | None = Field(default=None, description="CA bundle that signs the SMTP server's "
                                     "certificate; unset: the system's")
    smtp_timeout_s: float = Field(default=20.0, gt=0, description="SMTP connection timeout")
    smtp_bounce_token: str = Field(default="", description="bearer token of POST "
                                   "/api/v1/notify/email/bounces, where the mail server hands on delivery "
                                   "status notifications; empty: off")
