"""The cloud's MQTT session gives up on a link that stays silent with data unacknowledged after
seconds, not after TCP's doubling retries (which kept a healed link silent for 25-30 s)."""

from __future__ import annotations

import socket
import time

from cloud.ingest.link import USER_TIMEOUT_MS, CloudLink
from cloud.ingest.read_buffer import BufferedReads
from tests.support.broker import Mosquitto


def test_the_cloud_session_socket_carries_a_tcp_user_timeout(mosquitto: Mosquitto) -> None:
    link = CloudLink(mosquitto.cloud_url, client_id=f"timeout-cloud-{time.monotonic_ns()}")
    link.start()
    try:
        assert link.connected.wait(10)
        sock = link._client.socket()
        assert isinstance(sock, BufferedReads) and isinstance(sock.raw, socket.socket)
        assert sock.raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == USER_TIMEOUT_MS
    finally:
        link.stop()
