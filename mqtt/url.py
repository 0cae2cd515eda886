"""Broker URLs: ``mqtt://user:password@host:port?protocol=5`` (3.1.1 unless ``protocol=5``).

``mqtts://host:8883?ca=FILE&cert=FILE&key=FILE``: TLS, checked against ``ca`` (the system's CAs
when absent), with a client certificate when ``cert`` and ``key`` are given (the broker then knows
the client by the certificate's common name and needs no user or password).
"""

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
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    def redacted(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        return f"mqtt{'s' if self.tls else ''}://{user}{self.host}:{self.port}"


def parse_mqtt_url(url: str) -> BrokerAddress:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "tcp", "mqtts"):
        scheme = parts.scheme or "no scheme"
        raise ValueError(f"broker URL must start with mqtt:// or mqtts:// (got {scheme!r})")
    if not parts.hostname:
        raise ValueError("broker URL has no host")
    query = parse_qs(parts.query)
    tls = parts.scheme == "mqtts"
    files = {name: query[name][0] for name in ("ca", "cert", "key") if name in query}
    if files and not tls:
        raise ValueError("ca, cert and key belong to mqtts:// URLs")
    if ("cert" in files) != ("key" in files):
        raise ValueError("a client certificate needs both cert= and key=")
    protocol = query.get("protocol", ["4"])[0]
    if protocol not in ("4", "5", "3.1.1"):
        raise ValueError(f"protocol must be 4 (3.1.1) or 5, got {protocol!r}")
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        protocol=5 if protocol == "5" else 4,
        tls=tls,
        ca_file=files.get("ca"),
        cert_file=files.get("cert"),
        key_file=files.get("key"),
    )
