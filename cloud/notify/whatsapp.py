"""WhatsApp Cloud API sender (Graph API): upload media, then send an image or a template.

Inside the 24-hour customer-service window a free-form message goes out (image with caption,
or text); outside it WhatsApp only delivers approved templates, so the message becomes the
configured template with the image as header and the text's values as body parameters.
"""

from __future__ import annotations

from typing import Any

import httpx

from cloud.core.delivery import DeliveryError, classify, request
from cloud.notify.delivery import OutboundMessage

# Graph error codes that mean "slow down" or "try later", whatever the HTTP status says.
RETRYABLE_CODES = frozenset({1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131048, 131056})
TEMPLATE_LANGUAGES = {"en": "en", "es": "es", "zh": "zh_CN"}


class WhatsAppSender:
    channel = "whatsapp"

    def __init__(self, client: httpx.Client, *, token: str, phone_number_id: str,
                 base_url: str = "https://graph.facebook.com", version: str = "v21.0") -> None:
        if not token or not phone_number_id.isdigit():
            raise ValueError("a WhatsApp token and a numeric phone-number id are required")
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.root = f"{base_url.rstrip('/')}/{version}/{phone_number_id}"

    def send(self, message: OutboundMessage) -> str:
        media_id = self.upload_png(message.image_png) if message.image_png else None
        if message.in_session_window or message.template is None:
            body = self._free_form(message, media_id)
        else:
            body = self._template(message, media_id)
        answer = self._post("messages", json=body)
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise DeliveryError(f"unexpected answer: {answer}", permanent=False) from exc

    def upload_png(self, png: bytes) -> str:
        answer = self._post(
            "media",
            data={"messaging_product": "whatsapp", "type": "image/png"},
            files={"file": ("payment-qr.png", png, "image/png")},
        )
        if not isinstance(answer.get("id"), str):
            raise DeliveryError(f"media upload gave no id: {answer}", permanent=False)
        return str(answer["id"])

    def _post(self, path: str, **kwargs: Any) -> dict[str, Any]:
        response = request(self.client, "POST", f"{self.root}/{path}", headers=self.headers,
                           classifier=classify_graph, **kwargs)
        try:
            answer = response.json()
        except ValueError as exc:
            raise DeliveryError("the Graph API answered with no JSON", permanent=False) from exc
        return answer if isinstance(answer, dict) else {}

    @staticmethod
    def _free_form(message: OutboundMessage, media_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual",
                                "to": message.recipient}
        if media_id:
            body |= {"type": "image", "image": {"id": media_id, "caption": message.text}}
        else:
            body |= {"type": "text", "text": {"body": message.text, "preview_url": False}}
        return body

    @staticmethod
    def _template(message: OutboundMessage, media_id: str | None) -> dict[str, Any]:
        components: list[dict[str, Any]] = []
        if media_id:
            components.append({"type": "header", "parameters": [
                {"type": "image", "image": {"id": media_id}}]})
        components.append({"type": "body", "parameters": [
            {"type": "text", "text": value} for value in message.template_params]})
        return {
            "messaging_product": "whatsapp", "recipient_type": "individual",
            "to": message.recipient, "type": "template",
            "template": {"name": message.template, "components": components,
                         "language": {"code": TEMPLATE_LANGUAGES.get(message.language, "en")}},
        }


def classify_graph(response: httpx.Response) -> DeliveryError:
    """A Graph error body may say "rate limited" on a 400: its error code wins over the status."""
    base = classify(response)
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return base
    if code in RETRYABLE_CODES:
        return DeliveryError(base.reason, permanent=False, retry_after=base.retry_after)
    return base
