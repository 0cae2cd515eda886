"""The cloud's node ingest, wired: its own MQTT session on the nodes' topics, the replay on the
cloud's own tables, the replica feed, and the nodes' card keys renewed and delivered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.board.models import Gateway
from cloud.ingest.link import CloudLink
from cloud.ingest.store import WriteResult
from cloud.keys.keyring import Keyring
from cloud.node import api, delegations, pages
from cloud.node.conflicts import CloudView
from cloud.node.ingest import NodeIngest
from cloud.node.replay import Desk
from cloud.node.replica_feed import ReplicaFeed
from cloud.node.sql_desk import SqlDesk
from cloud.node.sql_view import SqlCloudView
from mqtt.envelope import utcnow
from mqtt.node_topics import subscriptions_for_cloud_nodes

if TYPE_CHECKING:
    from cloud.services import Services

log = logging.getLogger(__name__)


def node_ingest(
    services: Services,
    *,
    url: str,
    keyring: Callable[[], Keyring] | None = None,
    wake: Callable[[], None] | None = None,
) -> NodeIngest:
    settings = services.settings
    link = CloudLink(
        url,
        client_id=f"{settings.mqtt_client_id}-nodes",
        filters=subscriptions_for_cloud_nodes(settings.mqtt_share_group),
    )
    feed = ReplicaFeed(settings.secret_key, billing=settings.billing, auth=settings.auth)

    def desk_for(session: Session, site: str) -> tuple[CloudView, Desk]:
        desk = SqlDesk(session, site=site, settings=settings.billing, feed=feed, moved=services.move_hooks)
        return SqlCloudView(session, site=site), desk

    ingest = NodeIngest(link, services.sessions, desk_for=desk_for, feed=feed)
    if keyring is not None:
        install_key_renewal(ingest, keyring, wake=wake)
    return ingest


def install_key_renewal(
    ingest: NodeIngest, keyring: Callable[[], Keyring], *, wake: Callable[[], None] | None = None
) -> None:
    """Renew the nodes' delegations each round (the floors through the command outbox, the
    node on its cmd), and give a node coming online the delegation in force."""
    sessions = ingest.sessions

    def renew() -> None:
        """Renew what is due; every online node hears its delegation (a registration or a
        renewal reaches it within a round; the same one again changes nothing)."""
        with sessions.begin() as session:
            renewed = delegations.renew_due(session, keyring(), now=utcnow())
        for site, node in sorted(ingest.online):
            came_online(site, node)
        if renewed and wake is not None:
            wake()

    def came_online(site: str, node: str) -> None:
        with sessions() as session:
            found = delegations.in_force(session, site=site, node=node)
        for delegation in found:
            ingest.tell(site=site, node=node, type_="key.delegate", data=delegation)

    ingest.rounds.append(renew)
    ingest.on_online.append(came_online)


class DelegationDistributor:
    """An ingest listener: a gateway that reports ``online`` gets the nodes' delegations in
    force at its site (after the property keys, which the KeyDistributor queued before)."""

    def __init__(self, services: Services, *, wake: Callable[[], None] | None = None) -> None:
        self.sessions, self.wake = services.sessions, wake

    def __call__(self, result: WriteResult) -> None:
        if not result.changed_gateways:
            return
        sent = 0
        with self.sessions.begin() as session:
            online = {
                (g.site, g.floor)
                for g in session.scalars(select(Gateway).where(Gateway.state == "online"))
                if (g.site, g.floor) in result.changed_gateways
            }
            for site, floor in sorted(online):
                for delegation in delegations.in_force(session, site=site):
                    delegations.send_to_floors(session, site=site, delegation=delegation, floors=[floor])
                    sent += 1
        if sent and self.wake is not None:
            self.wake()


def install(app: FastAPI, services: Services) -> None:
    """The conflicts of the property's nodes and their keys, for the desk and managers."""
    app.include_router(api.router)
    app.include_router(pages.router)
