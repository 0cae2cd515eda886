"""Numbering the replica pictures a node is sent and sending only what changed.

The first picture (or one after the node said it is behind) goes whole as ``node.replica`` (a
large one as a bare picture and deltas filling it, each message under the contract's limit);
each later one as ``node.replica_delta`` from the last picture sent. The cloud keeps that
picture (``node_replicas``) and commits it before publishing: a delta lost on the way (or a
node that lost its disk) shows up at the node as a delta that does not follow what it holds;
the node says so on its ``ack`` (``replica_behind``) and the next round sends the whole picture.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cloud.auth.settings import AuthSettings
from cloud.billing.settings import BillingSettings
from cloud.node.models import NodeCardKey, NodeReplicaState
from cloud.node.replica import snapshot
from cloud.node.replica_delta import BEHIND, diff, split
from cloud.node.seal import LinkCipher, SealError, derived_key, public_b64
from mqtt.messages import Data
from mqtt.node_messages import NodeReplica, NodeReplicaDelta

__all__ = ["BEHIND", "ReplicaFeed"]
CHUNK_BYTES = 40_000  # of changes per message, well under the contract's 64 KiB


class ReplicaFeed:
    """``secret`` is the cloud's: it makes the sealing key the nodes seal walk-ins' data to.
    ``billing``: the settings whose taxes the replica names for a property without its own;
    ``auth``: the session and sign-in rules the nodes' desks follow."""

    def __init__(
        self, secret: str, *, billing: BillingSettings | None = None, auth: AuthSettings | None = None
    ) -> None:
        self.key = derived_key(secret)
        self.public = public_b64(self.key)
        self.billing = billing  # the taxes of a property without its own
        self.auth = auth  # the session and sign-in rules of the nodes' desks

    def sealer(self, session: Session, *, site: str, node: str) -> LinkCipher | None:
        """The link to a node whose sealing key is registered (and not retired)."""
        row = session.get(NodeCardKey, (site, node))
        if row is None or row.retired_at is not None or not row.seal_key:
            return None
        try:
            return LinkCipher(self.key, row.seal_key)
        except SealError:
            return None

    def next(self, session: Session, *, site: str, node: str, now: datetime) -> list[tuple[str, Data]]:
        """The messages to send the node now (type and data), in order; the picture they make
        is kept in ``session``. A picture or a change too large for one message is cut."""
        state = session.get(NodeReplicaState, (site, node))
        version = (state.version if state is not None else 0) + 1
        picture = snapshot(
            session,
            site=site,
            node=node,
            now=now,
            sealer=self.sealer(session, site=site, node=node),
            seal_key=self.public,
            billing=self.billing,
            auth=self.auth,
        ).model_copy(update={"version": version})
        if state is None or state.full_needed:
            messages = _whole(picture)
        else:
            previous = NodeReplica.model_validate(state.snapshot)
            messages = [
                ("node.replica_delta", d) for d in split(diff(previous, picture), max_bytes=CHUNK_BYTES)
            ]
        last = messages[-1][1]
        assert isinstance(last, NodeReplica | NodeReplicaDelta)
        kept = picture.model_copy(update={"version": last.version}).model_dump(mode="json")
        if state is None:
            session.add(
                NodeReplicaState(
                    site=site, node=node, version=last.version, snapshot=kept, full_needed=False, sent_at=now
                )
            )
        else:
            state.version, state.snapshot, state.full_needed, state.sent_at = last.version, kept, False, now
        return messages

    @staticmethod
    def behind(session: Session, *, site: str, node: str) -> None:
        """The node does not hold the picture the last delta followed: send it whole next."""
        state = session.get(NodeReplicaState, (site, node))
        if state is not None:
            state.full_needed = True


def _whole(picture: NodeReplica) -> list[tuple[str, Data]]:
    """The picture in one ``node.replica`` if it fits, else a bare one (no rooms, stays, folios
    or cards) and the deltas that fill it."""
    if len(picture.model_dump_json()) <= CHUNK_BYTES:
        return [("node.replica", picture)]
    bare = picture.model_copy(update={"rooms": [], "stays": [], "folios": [], "cards": []})
    full = picture.model_copy(update={"version": picture.version + 1})
    return [("node.replica", bare)] + [
        ("node.replica_delta", d) for d in split(diff(bare, full), max_bytes=CHUNK_BYTES)
    ]
