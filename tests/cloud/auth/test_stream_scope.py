"""The live board stream, served for real, carries only the messages of visible sites."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI

from tests.cloud.auth.portal_app import PASSWORD, PortalApp


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _token(portal: PortalApp, username: str) -> str:
    issued = portal.client().post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD})
    assert issued.status_code == 201, issued.text
    return str(issued.json()["token"])


def _messages(portal: PortalApp, base: str, username: str, count: int) -> list[dict[str, object]]:
    """Subscribe, let both properties publish, and read ``count`` messages."""
    hub = portal.app.services.hub
    headers = {"Authorization": f"Bearer {_token(portal, username)}"}
    found: list[dict[str, object]] = []
    with httpx.Client(base_url=base, timeout=10) as client, \
            client.stream("GET", "/api/v1/board/stream", headers=headers) as r:
        assert r.status_code == 200
        lines = r.iter_lines()
        assert next(lines) == "retry: 2000"  # sent once the subscription is in place
        hub.publish("room", {"site": "annex", "floor": "f1", "room": "201"})
        hub.publish("room", {"site": "rival", "floor": "f1", "room": "1"})
        hub.publish("room", {"site": "hotel", "floor": "f1", "room": "101"})
        for line in lines:
            if line.startswith("data: "):
                found.append(json.loads(line[6:]))
            if len(found) == count:
                break
    return found


def test_the_stream_of_front_desk_skips_other_properties(portal: PortalApp) -> None:
    with serving(portal.app) as base:
        got = _messages(portal, base, "front_desk-hotel", 1)
    assert [m["site"] for m in got] == ["hotel"]


def test_the_stream_of_a_chain_admin_carries_every_property_of_the_chain(portal: PortalApp) -> None:
    with serving(portal.app) as base:
        got = _messages(portal, base, "chain-admin", 2)
        assert [m["site"] for m in got] == ["annex", "hotel"]  # never the other chain's property
        headers = {"Authorization": f"Bearer {_token(portal, 'front_desk-hotel')}"}
        r = httpx.get(f"{base}/api/v1/board/stream", params={"site": "annex"}, headers=headers, timeout=10)
        assert r.status_code == 403
