"""Broker URLs: ``mqtt://user:password@host:port?protocol=5`` (3.1.1 unless ``protocol=5``)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None
    password: str | None
    protocol: int  # 4 = MQTT 3.1.1, 5 = MQTT 5

    def redacted(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        return f"mqtt://{user}{self.host}:{self.port}"


def parse_mqtt_url(url: str) -> BrokerAddress:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "tcp"):
        raise ValueError(f"broker URL must start with mqtt:// (got {parts.scheme or 'no scheme'!r})")
    if not parts.hostname:
        raise ValueError("broker URL has no host")
    protocol = parse_qs(parts.query).get("protocol", ["4"])[0]
    if protocol not in ("4", "5", "3.1.1"):
        raise ValueError(f"protocol must be 4 (3.1.1) or 5, got {protocol!r}")
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or 1883,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        protocol=5 if protocol == "5" else 4,
    )
