"""The cloud's node ingest, wired: its own MQTT session on the nodes' topics, the replay on the
cloud's own tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from sqlalchemy.orm import Session

from cloud.ingest.link import CloudLink
from cloud.node import api
from cloud.node.conflicts import CloudView
from cloud.node.ingest import NodeIngest
from cloud.node.replay import Desk
from cloud.node.sql_desk import SqlDesk
from cloud.node.sql_view import SqlCloudView
from mqtt.node_topics import subscriptions_for_cloud_nodes

if TYPE_CHECKING:
    from cloud.services import Services


def node_ingest(services: Services, *, url: str) -> NodeIngest:
    settings = services.settings
    link = CloudLink(
        url,
        client_id=f"{settings.mqtt_client_id}-nodes",
        filters=subscriptions_for_cloud_nodes(settings.mqtt_share_group),
    )

    def desk_for(session: Session, site: str) -> tuple[CloudView, Desk]:
        return (SqlCloudView(session, site=site), SqlDesk(session, site=site, settings=settings.billing))

    return NodeIngest(link, services.sessions, desk_for=desk_for)


def install(app: FastAPI, services: Services) -> None:
    """The conflicts of the property's nodes, for the desk and managers."""
    app.include_router(api.router)
