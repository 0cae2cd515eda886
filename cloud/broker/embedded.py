"""The embedded MQTT broker (amqtt) for the out-of-the-box setup, run on its own thread.

Loopback only and without authentication: it stands in for Mosquitto on a single machine
(the demo, a trial install). A real deployment points ``POSADA_MQTT_URL`` at Mosquitto with
the provisioned password file and ACL.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)
SHUTDOWN_S = 5.0  # amqtt's graceful shutdown, at most; then the sockets are closed directly


class EmbeddedBroker:
    def __init__(self, *, port: int, bind: str = "127.0.0.1") -> None:
        self.port = port
        self.bind = bind
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.bind}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"embedded broker did not start on {self.bind}:{self.port}")
        if self._error:
            raise RuntimeError(f"embedded broker failed to start: {self._error}") from self._error
        log.info("embedded MQTT broker listening on %s:%s", self.bind, self.port)

    def _run(self) -> None:
        from amqtt.broker import Broker

        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        config = {
            "listeners": {
                "default": {"type": "tcp", "bind": f"{self.bind}:{self.port}", "max_connections": 256},
            },
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        try:
            self._broker = Broker(config, loop=loop)
            loop.run_until_complete(self._broker.start())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.close()

    def stop(self) -> None:
        loop, broker = self._loop, self._broker
        if loop is None or broker is None or not loop.is_running():
            return
        future = asyncio.run_coroutine_threadsafe(broker.shutdown(), loop)
        try:
            future.result(timeout=SHUTDOWN_S)
        except Exception as exc:  # shutdown is best effort; the sockets are closed regardless
            log.warning("embedded broker shutdown did not finish (%r); closing its sockets", exc)
            future.cancel()
            try:
                asyncio.run_coroutine_threadsafe(_force_close(broker), loop).result(timeout=5)
            except Exception as again:
                log.warning("embedded broker: closing its sockets failed: %r", again)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread:
            self._thread.join(timeout=10)


async def _force_close(broker: Any) -> None:
    """Close what a stuck amqtt shutdown left open: the listening sockets and the client connections.

    amqtt's ``shutdown()`` can wait forever on a client's reader (a connection busy publishing while
    another session leaves); its listener would then hold the port, and its clients would not learn
    the broker is gone until their keepalive ran out.
    """
    for server in getattr(broker, "_servers", {}).values():
        instance = getattr(server, "instance", None)
        if instance is not None:
            instance.close()
    for _session, handler in list(getattr(broker, "_sessions", {}).values()):
        writer = getattr(handler, "writer", None)
        stream = getattr(writer, "_writer", None)
        transport = getattr(stream, "transport", None)
        if transport is not None:
            transport.abort()
    current = asyncio.current_task()
    for task in asyncio.all_tasks():
        if task is not current:
            task.cancel()
