"""The embedded MQTT broker (amqtt) for the out-of-the-box setup, run on its own thread.

Loopback only and without authentication: it stands in for Mosquitto on a single machine
(the demo, a trial install). A real deployment points ``POSADA_MQTT_URL`` at Mosquitto with
the provisioned password file and ACL.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)
SHUTDOWN_S = 5.0  # a shutdown takes milliseconds; past this it is stuck, and the sockets are closed directly


class _SubscriptionTable(dict[str, Any]):
    """amqtt's table of subscriptions (topic filter -> subscribers), iterated over a snapshot.

    amqtt walks this table across awaits: a connecting client is sent the retained messages of
    every filter while the walk awaits each batch, and the broadcast loop awaits per subscriber.
    A SUBSCRIBE to a new filter meanwhile (another client connecting) raised "dictionary changed
    size during iteration", which dropped the connecting client, or ended the broadcast loop and
    with it all delivery.
    """

    def __iter__(self) -> Iterator[str]:
        return iter(list(super().__iter__()))

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return list(super().items())


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
            self._broker._subscriptions = _SubscriptionTable()
            loop.run_until_complete(self._broker.start())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.close()

    def _quiet_while_stopping(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """amqtt leaves the packet tasks its readers cancel unawaited: their errors are the
        shutdown itself, not news."""
        log.debug("embedded broker, stopping: %s", context.get("message"), exc_info=context.get("exception"))

    def stop(self) -> None:
        loop, broker = self._loop, self._broker
        if loop is None or broker is None or not loop.is_running():
            return
        loop.call_soon_threadsafe(loop.set_exception_handler, self._quiet_while_stopping)
        future = asyncio.run_coroutine_threadsafe(_shutdown(broker), loop)
        try:
            future.result(timeout=SHUTDOWN_S)
        except Exception as exc:  # a defect to report: the sockets are closed regardless
            log.error("embedded broker shutdown did not finish (%r); closing its sockets", exc)
            future.cancel()
            try:
                asyncio.run_coroutine_threadsafe(_force_close(broker), loop).result(timeout=5)
            except Exception as again:
                log.error("embedded broker: closing its sockets failed: %r", again)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread:
            self._thread.join(timeout=10)


async def _shutdown(broker: Any) -> None:
    """Stop listening, drop every client connection, then let amqtt shut down; wait for its tasks.

    The connections go first because amqtt's ``shutdown()`` stops a session by cancelling its
    reader and waiting for it to end, and on Python 3.11 ``asyncio.wait_for`` drops a cancellation
    that arrives as its inner read completes (CPython gh-86296, fixed in 3.12): a client that is
    publishing hard keeps its reader's reads completing, the cancellation is lost now and then, and
    the reader (with the shutdown waiting on it) runs on for as long as the client sends. A closed
    connection ends every reader at end of stream, cancelled or not. MQTT 3.1.1 has no way for a
    broker to say goodbye: closing the connection is how a broker leaves (Mosquitto does the same).
    """
    _close_listeners(broker)
    _drop_connections(broker)
    await broker.shutdown()
    current = asyncio.current_task()
    rest = [task for task in asyncio.all_tasks() if task is not current]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


def _close_listeners(broker: Any) -> None:
    for server in broker._servers.values():
        if server.instance is not None:
            server.instance.close()


def _drop_connections(broker: Any) -> None:
    """Abort every client connection: what the broker had not written out, the clients resend."""
    for _session, handler in list(broker._sessions.values()):
        writer: Any = getattr(handler, "writer", None)  # amqtt's StreamWriterAdapter around asyncio's
        transport = getattr(getattr(writer, "_writer", None), "transport", None)
        if transport is not None:
            writer.is_closed = True  # amqtt's own flag: its packet tasks stop writing to the socket
            transport.abort()


async def _force_close(broker: Any) -> None:
    """Close what a stuck shutdown left open: the listening sockets and the client connections,
    and cancel every task, so the port is free and clients see the broker gone at once."""
    _close_listeners(broker)
    _drop_connections(broker)
    current = asyncio.current_task()
    for task in asyncio.all_tasks():
        if task is not current:
            task.cancel()
