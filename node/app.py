"""The property node's composition root: its outbox, its sync status and its link to the
cloud, from ``POSADA_NODE_*`` settings; ``posada property-node`` runs it until a signal.

What it serves today is the sync: the desk's offline operations go into the outbox (``record``)
and out to the cloud when the link is up; the cloud's verdicts come back as ``node.conflicts``.
"""

from __future__ import annotations

import base64
import logging
import os
import signal
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from cloud.keys.keyring import Keyring
from cloud.node.banner import Banner, banner, replica_note
from cloud.node.replica_delta import BEHIND, ReplicaBehind
from cloud.node.seal import GuestData, LinkCipher, SealError, guest_context, public_b64
from edge.hw.nfc_errors import NfcUnavailable
from mqtt.access_messages import KeyDelegate
from mqtt.codec import Message
from mqtt.node_messages import (
    CheckedOut,
    CheckIn,
    NodeConflicts,
    NodeOperation,
    NodeReplica,
    NodeReplicaDelta,
)
from mqtt.node_topics import check_node
from mqtt.topics import check_slug
from node import keys
from node.desk import check_in_allowed
from node.desk_sessions import DeskSessions
from node.encoder import CardWriter, from_setting
from node.link import NodeLink
from node.outbox import NodeOutbox
from node.status import NodeStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NodeSettings:
    mqtt_url: str
    site: str
    node: str
    data_dir: Path
    time_zone: str = "UTC"
    http: str = ""  # host:port where the desk pages are served; "" serves none
    tls_cert: Path | None = None  # with tls_key: the desk pages over HTTPS
    tls_key: Path | None = None
    cloud_url: str = ""  # the cloud's portal, for registering this node's keys from its page
    encoder: str = ""  # the desk's keycard writer (node/encoder.py); "" hands the card's bytes over

    @classmethod
    def from_env(cls, env: dict[str, str]) -> NodeSettings:
        missing = [
            k for k in ("POSADA_NODE_MQTT_URL", "POSADA_NODE_SITE", "POSADA_NODE_NAME") if not env.get(k)
        ]
        if missing:
            raise ValueError(f"set {', '.join(missing)}")
        http = env.get("POSADA_NODE_HTTP", "")
        if http and not http.rpartition(":")[2].isdigit():
            raise ValueError("POSADA_NODE_HTTP is host:port")
        cert, key = env.get("POSADA_NODE_TLS_CERT", ""), env.get("POSADA_NODE_TLS_KEY", "")
        if bool(cert) != bool(key):
            raise ValueError("set both POSADA_NODE_TLS_CERT and POSADA_NODE_TLS_KEY, or neither")
        for name, path in (("POSADA_NODE_TLS_CERT", cert), ("POSADA_NODE_TLS_KEY", key)):
            if path and not Path(path).is_file():
                raise ValueError(f"{name}: no file {path}")
        cloud_url = env.get("POSADA_NODE_CLOUD_URL", "").rstrip("/")
        if cloud_url and not cloud_url.startswith(("https://", "http://")):
            raise ValueError("POSADA_NODE_CLOUD_URL is the cloud's https:// address")
        encoder = env.get("POSADA_NODE_ENCODER", "").strip()
        if encoder and encoder != "simulate" and encoder.partition(":")[0] != "libnfc":
            raise ValueError("POSADA_NODE_ENCODER is libnfc, libnfc:<connstring> or simulate")
        return cls(
            mqtt_url=env["POSADA_NODE_MQTT_URL"],
            site=check_slug(env["POSADA_NODE_SITE"], "site"),
            node=check_node(env["POSADA_NODE_NAME"]),
            data_dir=Path(env.get("POSADA_NODE_DATA_DIR", "posada-node")),
            time_zone=env.get("POSADA_NODE_TIME_ZONE", "UTC"),
            http=http,
            tls_cert=Path(cert) if cert else None,
            tls_key=Path(key) if key else None,
            cloud_url=cloud_url,
            encoder=encoder,
        )


class NoInvoiceSeries(Exception):
    """The node cannot number an invoice: no series is reserved for it yet."""


class NoSealKey(Exception):
    """The node cannot seal a guest's data for the cloud yet."""


class PropertyNode:
    def __init__(self, settings: NodeSettings, *, encoder: CardWriter | None = None) -> None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self.encoder = encoder if encoder is not None else from_setting(settings.encoder)
        self.outbox = NodeOutbox(settings.data_dir / "node.db")
        self.status = NodeStatus(settings.data_dir / "node.db")
        self.sessions = DeskSessions(settings.data_dir / "node.db")
        self.card_key = keys.load_or_create(settings.data_dir)
        self.seal_key = keys.load_or_create_seal(settings.data_dir)
        self.link = NodeLink(
            settings.mqtt_url,
            site=settings.site,
            node=settings.node,
            outbox=self.outbox,
            on_command=self._command,
            on_link=self._link_changed,
        )

    def start(self) -> None:
        self.status.link_changed(False, at=datetime.now(UTC))  # until the broker answers
        self.link.start()

    def stop(self) -> None:
        self.link.stop()
        self.outbox.close()
        self.sessions.close()
        if self.encoder is not None:
            self.encoder.close()

    def record(self, type_: str, op: NodeOperation) -> None:
        """Keep one desk operation (on disk before this returns) and send it when possible."""
        self.outbox.record(type_, op, at=datetime.now(UTC))
        self.link.wake()

    def check_in(self, op: CheckIn) -> None:
        """Record a check-in unless the replica and the unsent work say it is wrong (DeskError);
        without a replica yet, the cloud alone judges it on replay."""
        replica = self.status.replica()
        if replica is not None:
            check_in_allowed(op, replica=replica, pending=self.outbox.pending_operations())
        self.record("node.check_in", op)

    def walk_in_sealed(self, reservation_id: str, guest: GuestData) -> str:
        """The walk-in's data sealed for the cloud (NoSealKey until a replica named its key)."""
        replica = self.status.replica()
        if replica is None or not replica.seal_key:
            raise NoSealKey("the cloud's sealing key is not known yet: no replica has named it")
        context = guest_context(self.settings.site, self.settings.node, reservation_id)
        return LinkCipher(self.seal_key, replica.seal_key).seal(guest.to_json(), context=context)

    def guest(self, reservation_id: str, sealed: str) -> GuestData | None:
        """A guest of the replica or of a walk-in, opened (None when there is none or it does
        not open: the cloud has not registered this node's sealing key)."""
        replica = self.status.replica()
        if not sealed or replica is None or not replica.seal_key:
            return None
        context = guest_context(self.settings.site, self.settings.node, reservation_id)
        try:
            return GuestData.from_json(
                LinkCipher(self.seal_key, replica.seal_key).open(sealed, context=context)
            )
        except SealError as exc:
            log.warning("guest of %s: %s", reservation_id, exc)
            return None

    def check_out(
        self, reservation_id: str, *, total_minor: int, currency: str, staff: str = ""
    ) -> CheckedOut:
        """Check a guest out with an invoice numbered in the node's own series (gapless)."""
        replica = self.status.replica()
        if replica is None or not replica.invoice_series:
            raise NoInvoiceSeries("the cloud has not reserved an invoice series for this node")
        op = self.outbox.check_out(
            reservation_id=reservation_id,
            series=replica.invoice_series,
            total_minor=total_minor,
            currency=currency,
            at=datetime.now(UTC),
            staff=staff,
        )
        self.link.wake()
        return op

    def replica_note(self, *, tag: str = "en") -> str:
        """How old the bookings the desk sees are (staff know what may have changed since)."""
        return replica_note(self.status.state(self.outbox), tag=tag, time_zone=self.settings.time_zone)

    def banner(self, *, tag: str = "en") -> Banner:
        return banner(self.status.state(self.outbox), tag=tag, time_zone=self.settings.time_zone)

    def card_keyring(self, *, now: datetime) -> Keyring:
        """The node's own key, within the window the cloud delegated (NoDelegation if none)."""
        return keys.keyring(self.card_key, self.status.delegation(), now=now)

    def _command(self, message: Message) -> None:
        if isinstance(message.data, NodeConflicts):
            self.status.conflicts_received(message.data)
        elif isinstance(message.data, KeyDelegate):
            self.status.delegation_received(message.data)
        elif isinstance(message.data, NodeReplica):
            self.status.replica_received(message.data)
        elif isinstance(message.data, NodeReplicaDelta):
            try:
                self.status.replica_delta_received(message.data)
            except ReplicaBehind as exc:
                log.info("replica: %s; asking for the whole picture", exc)
                self.link.ack(message.envelope.id, ok=False, error=f"{BEHIND}: {exc}")

    def _link_changed(self, online: bool) -> None:
        self.status.link_changed(online, at=datetime.now(UTC))


def run() -> int:
    try:
        settings = NodeSettings.from_env(dict(os.environ))
    except ValueError as exc:
        log.error("property node: %s", exc)
        return 2
    try:
        node = PropertyNode(settings)
    except NfcUnavailable as exc:
        log.error("property node: the keycard writer (POSADA_NODE_ENCODER): %s", exc)
        return 2
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    public = base64.urlsafe_b64encode(keys.public_bytes(node.card_key)).rstrip(b"=").decode()
    log.info(
        "register this node's keys (PUT /api/v1/nodes/%s/%s/keys): public_key %s, seal_key %s",
        settings.site,
        settings.node,
        public,
        public_b64(node.seal_key),
    )
    node.start()
    server = serve_desk(node) if settings.http else None
    while not done.wait(30):
        log.info("sync: %s", node.banner().text)
    if server is not None:
        server.should_exit = True
    node.stop()
    return 0


def serve_desk(node: PropertyNode) -> uvicorn.Server:
    """The desk's pages on ``POSADA_NODE_HTTP`` (uvicorn, on a thread of its own), over HTTPS
    when the node is given a certificate and its key."""
    from node.front_desk import FrontDesk
    from node.pages import build_desk_app

    settings = node.settings
    host, _, port = settings.http.rpartition(":")
    app = build_desk_app(FrontDesk(node))
    tls = settings.tls_cert is not None and settings.tls_key is not None
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host or "127.0.0.1",
            port=int(port),
            log_level="warning",
            ssl_certfile=str(settings.tls_cert) if tls else None,
            ssl_keyfile=str(settings.tls_key) if tls else None,
        )
    )
    threading.Thread(target=server.run, name="node-desk-http", daemon=True).start()
    log.info("desk pages on %s://%s", "https" if tls else "http", settings.http)
    return server
