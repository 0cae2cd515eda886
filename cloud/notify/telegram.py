"""Telegram Bot API sender: ``POST {base}/bot<token>/sendMessage`` (chat_id, text, parse_mode)."""

from __future__ import annotations

import httpx

from cloud.core.delivery import DeliveryError, request
from cloud.notify.delivery import OutboundMessage


class TelegramSender:
    channel = "telegram"

    def __init__(self, client: httpx.Client, *, token: str,
                 base_url: str = "https://api.telegram.org") -> None:
        if not token or "/" in token:
            raise ValueError("a Telegram bot token is required")
        self.client = client
        self.url = f"{base_url.rstrip('/')}/bot{token}/sendMessage"

    def send(self, message: OutboundMessage) -> str:
        body = {"chat_id": message.recipient, "text": message.text, "parse_mode": "HTML",
                "link_preview_options": {"is_disabled": True}}
        response = request(self.client, "POST", self.url, json=body)
        try:
            return str(response.json()["result"]["message_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DeliveryError(f"unexpected Telegram answer: {response.text[:200]}",
                                permanent=False) from exc
