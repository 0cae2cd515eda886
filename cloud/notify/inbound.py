"""What guests write to us on WhatsApp: it opens the 24-hour window and carries opt-out words.

Meta signs each webhook body with the app secret: ``X-Hub-Signature-256: sha256=<hex>``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from cloud.notify.models import Contact

_ID = re.compile(r"[A-Za-z0-9._=:+/-]{1,128}")
STOP_WORDS = frozenset({"stop", "unsubscribe", "baja", "alto", "退订", "取消订阅"})
START_WORDS = frozenset({"start", "alta", "订阅"})


class SignatureRefused(ValueError):
    """A webhook body that was not signed with our app secret."""


def verify_signature(payload: bytes, header: str | None, *, secret: str) -> None:
    if not header or not header.startswith("sha256="):
        raise SignatureRefused("X-Hub-Signature-256 missing")
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, header.removeprefix("sha256=")):
        raise SignatureRefused("X-Hub-Signature-256 does not match")


@dataclass(frozen=True, slots=True)
class Inbound:
    address: str
    at: datetime
    text: str
    message_id: str = ""  # the channel's own id (WhatsApp's ``wamid``): a redelivery carries the same
    channel: str = "whatsapp"
    phone: str = ""  # Telegram: the sender's own number, when they shared their contact (E.164 digits)


def inbound_messages(body: dict[str, Any]) -> list[Inbound]:
    """Guest messages in a webhook body; statuses and anything malformed are skipped."""
    found: list[Inbound] = []
    for entry in _list(body.get("entry")):
        for change in _list(entry.get("changes")):
            value = change.get("value") if isinstance(change, dict) else None
            for message in _list(value.get("messages") if isinstance(value, dict) else None):
                parsed = _message(message)
                if parsed is not None:
                    found.append(parsed)
    return found


def _list(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _message(message: dict[str, Any]) -> Inbound | None:
    sender, stamp = message.get("from"), str(message.get("timestamp"))
    if not isinstance(sender, str) or not sender.isdigit() or not sender.isascii():
        return None
    if not (stamp.isdigit() and stamp.isascii() and len(stamp) <= 11):
        return None
    text: object = ""
    if isinstance(message.get("text"), dict):
        text = message["text"].get("body", "")
    elif isinstance(message.get("button"), dict):
        text = message["button"].get("text", "")
    if not isinstance(text, str):
        text = ""  # a body that is not text says nothing (it still opens the window)
    raw_id = message.get("id")
    message_id = raw_id if isinstance(raw_id, str) and _ID.fullmatch(raw_id) else ""
    return Inbound(sender, datetime.fromtimestamp(int(stamp), UTC), text.strip()[:500], message_id)


def apply_inbound(session: Session, message: Inbound, *, now: datetime) -> None:
    """Open the service window; a stop word opts the guest out, a start word back in."""
    contact = session.get(Contact, ("whatsapp", message.address))
    if contact is None:
        contact = Contact(channel="whatsapp", address=message.address, opted_out=False,
                          updated_at=now)
        session.add(contact)
    last = contact.last_inbound_at
    if last is None or (last if last.tzinfo else last.replace(tzinfo=UTC)) < message.at:
        contact.last_inbound_at = message.at
    word = message.text.casefold()
    if word in STOP_WORDS:
        contact.opted_out = True
    elif word in START_WORDS:
        contact.opted_out = False
    contact.updated_at = now


def telegram_messages(body: dict[str, Any]) -> list[Inbound]:
    """A Telegram Bot API ``Update`` as messages: a private chat's text, or the sender's own shared
    contact (``contact.user_id`` is the sender); edits, bots, groups and anything malformed are skipped."""
    update_id, message = body.get("update_id"), body.get("message")
    if not isinstance(update_id, int) or not isinstance(message, dict):
        return []
    chat, sender, stamp = message.get("chat"), message.get("from"), message.get("date")
    if not (isinstance(chat, dict) and isinstance(sender, dict) and isinstance(stamp, int)):
        return []
    chat_id, sender_id = chat.get("id"), sender.get("id")
    if chat.get("type") != "private" or sender.get("is_bot") is not False or not isinstance(chat_id, int):
        return []
    if not 0 < stamp < 2**32:
        return []
    text, phone = message.get("text", ""), ""
    contact = message.get("contact")
    if isinstance(contact, dict) and contact.get("user_id") == sender_id:
        digits = str(contact.get("phone_number", "")).lstrip("+")
        phone = digits if digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 15 else ""
    if not isinstance(text, str):
        text = ""
    return [Inbound(str(chat_id), datetime.fromtimestamp(stamp, UTC), text.strip()[:500], f"tg{update_id}",
                    channel="telegram", phone=phone)]
