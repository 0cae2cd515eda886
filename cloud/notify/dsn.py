"""Delivery status notifications (RFC 3464): a bounce that arrives after the SMTP server took the
message. Pure: the raw message in, the facts out; the outbox row is found by the original
Message-ID, which carries the row's id (``email.compose``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message

MAX_BYTES = 1024 * 1024  # a report with the whole original attached stays well under this
_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")


class NotAReport(ValueError):
    """The message is no delivery status notification we can read."""


@dataclass(frozen=True, slots=True)
class Bounce:
    message_id: str  # the original's, with its angle brackets
    recipient: str
    status: str  # e.g. 5.1.1
    diagnostic: str

    @property
    def permanent(self) -> bool:
        return self.status.startswith("5")


def _fields(part: Message) -> list[Message]:
    """The per-message and per-recipient field groups of a message/delivery-status part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else ""
    return [message_from_bytes(block.strip().encode("utf-8", "replace") + b"\n", policy=policy.compat32)
            for block in re.split(r"\r?\n\r?\n", text) if block.strip()]


def _original_id(report: Message) -> str:
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            found = first.get("Message-ID") if isinstance(first, Message) else None
        elif kind == "text/rfc822-headers":
            headers = part.get_payload(decode=True)
            found = message_from_bytes(headers if isinstance(headers, bytes) else b"",
                                       policy=policy.compat32).get("Message-ID")
        else:
            continue
        match = _MESSAGE_ID.search(str(found or ""))
        if match:
            return match.group(0)
    raise NotAReport("the report names no original Message-ID")


def parse(raw: bytes) -> list[Bounce]:
    """The failed recipients a DSN reports (delayed or delivered ones are not bounces)."""
    if len(raw) > MAX_BYTES:
        raise NotAReport(f"over {MAX_BYTES} bytes")
    report = message_from_bytes(raw, policy=policy.default)
    assert isinstance(report, EmailMessage)
    kind = report.get_content_type()
    if kind != "multipart/report" or report.get_param("report-type") != "delivery-status":
        raise NotAReport("not a multipart/report of delivery-status")
    status_part = next((p for p in report.walk() if p.get_content_type() == "message/delivery-status"), None)
    if status_part is None:
        raise NotAReport("no message/delivery-status part")
    message_id = _original_id(report)
    bounces = []
    for group in _fields(status_part)[1:]:  # the first group is about the message, the rest per recipient
        action, status = str(group.get("Action", "")).strip().lower(), str(group.get("Status", "")).strip()
        recipient = str(group.get("Final-Recipient", "")).split(";", 1)[-1].strip()
        if action != "failed" or not _STATUS.match(status):
            continue
        diagnostic = " ".join(str(group.get("Diagnostic-Code", "")).split(";", 1)[-1].split())
        bounces.append(Bounce(message_id, recipient[:320], status, diagnostic[:300]))
    return bounces
