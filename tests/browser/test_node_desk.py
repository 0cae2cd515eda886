"""The desk at the property node while the cloud is out of reach, in Chromium: the broker is
stopped (not a mock), staff check a booked guest in and out and a walk-in in, encode the
walk-in's card with the node's delegated key, and the floor's gateway process (``posada edge``,
door nodes' firmware on a simulated bus, told of the key through the cloud's command outbox)
opens the door with it; the broker
returns and the cloud holds the stay checked out with the node's invoice number and the walk-in
under the name the desk took. Screenshots: ``node-desk-offline.png``, ``node-desk-synced.png``."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from cloud.auth.accounts import create_staff, ensure_property
from cloud.auth.roles import Role
from cloud.billing.models import Invoice
from cloud.billing.node_series import reserve_node_series
from cloud.catalog.models import Property
from cloud.commands.models import Command
from cloud.core.nights import local_today
from cloud.node.seal import public_b64
from cloud.reservations.models import Reservation, StayCredential
from cloud.reservations.sales.booking import Booking, book
from edge.hw import ntag
from edge.hw.sim_node import SimulatedBus
from mqtt.envelope import utcnow
from mqtt.node_topics import node_user
from node import keys
from node.app import NodeSettings, PropertyNode
from node.encoder import SimulatedWriter
from node.front_desk import FrontDesk
from node.pages import build_desk_app
from tests.browser.conftest import SHOTS
from tests.integration.desk_support import DeskCloud, desk_cloud
from tests.integration.harness import wait_until
from tests.support.broker import Mosquitto
from tests.support.hotel import NODES, gateway_toml
from tests.support.ports import free_port, wait_for_port
from tests.support.staff import sign_in_staff

PASSWORD = "desk-password-1"


def _acked(cloud: DeskCloud, kind: str) -> bool:
    with cloud.app.services.sessions() as s:
        found = list(s.scalars(select(Command).where(Command.floor == "f1", Command.type == kind)))
    return bool(found) and all(c.acked_at is not None and c.ack_ok for c in found)


def _booked_today(cloud: DeskCloud) -> str:
    now = utcnow()
    services = cloud.app.services  # type: ignore[attr-defined]
    with services.sessions.begin() as s:
        prop = s.scalars(select(Property).where(Property.slug == "hotel")).one()
        today = local_today(now, prop.timezone)
        res = book(
            s,
            Booking(
                property="hotel",
                room_type="std",
                rate_plan="flex",
                arrival=today,
                departure=today + timedelta(days=1),
                guest_name="Ana Ruiz",
            ),
            now=now,
        )
        s.flush()
        services.ledger.booked(s, res, now=now)
        reserve_node_series(s, site="hotel", node="desk-pc", base="INV", now=now)
        return res.id


@pytest.fixture
def bus() -> Iterator[SimulatedBus]:
    """The floor's door nodes: their firmware on a simulated RS-485 bus (a pty)."""
    bus = SimulatedBus(list(NODES.values())).start()
    yield bus
    bus.close()


@pytest.fixture
def node(own_mosquitto: Mosquitto, tmp_path: Path) -> Iterator[tuple[PropertyNode, str]]:
    settings = NodeSettings(
        mqtt_url=own_mosquitto.url(node_user("hotel", "desk-pc")),
        site="hotel",
        node="desk-pc",
        data_dir=tmp_path / "node",
        time_zone="Europe/Madrid",
    )
    node = PropertyNode(settings, encoder=SimulatedWriter())  # a reader with blank cards beside it
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            build_desk_app(FrontDesk(node)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port, timeout=20)
    yield node, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    node.stop()


def _front_desk(cloud: DeskCloud, username: str, password: str) -> None:
    ctx = cloud.app.services.auth  # type: ignore[attr-defined]
    with ctx.sessionmaker() as session, session.begin():
        ensure_property(session, site="hotel", chain="posada-demo", name="hotel")
        create_staff(
            session,
            actor="test",
            passwords=ctx.passwords,
            username=username,
            display_name="Ana Ruiz",
            password=password,
            role=Role.FRONT_DESK,
            site="hotel",
        )


def _register(cloud: DeskCloud, node: PropertyNode) -> None:
    manager = sign_in_staff(TestClient(cloud.app), site="hotel", role=Role.MANAGER, chain="posada-demo")
    body = {
        "key_id": 0xF001,
        "public_key": base64.urlsafe_b64encode(keys.public_bytes(node.card_key)).rstrip(b"=").decode(),
        "seal_key": public_b64(node.seal_key),
    }
    done = httpx.put(
        f"{cloud.url}/api/v1/nodes/hotel/desk-pc/keys",
        json=body,
        headers={"Authorization": f"Bearer {manager}"},
        timeout=10,
    )
    assert done.status_code == 200, done.text


def test_check_in_and_out_at_the_node_offline_then_the_cloud_holds_it(
    own_mosquitto: Mosquitto,
    sqlite_url: str,
    tmp_path: Path,
    browser: Browser,
    node: tuple[PropertyNode, str],
    bus: SimulatedBus,
) -> None:
    desk_node, desk_url = node
    config = gateway_toml(tmp_path, mqtt_url=own_mosquitto.gateway_url("hotel", "f1"), device=bus.device)
    with desk_cloud(
        sqlite_url,
        tmp_path,
        mqtt_enabled=True,
        mqtt_url=own_mosquitto.cloud_url,
        mqtt_client_id=f"cloud-node-{tmp_path.name}",
    ) as cloud:
        booked = _booked_today(cloud)
        _register(cloud, desk_node)
        _front_desk(cloud, "ana", PASSWORD)  # signs in at the node with her cloud account
        with gateway_process(config, tmp_path / "gateway.log"):
            wait_until(
                lambda: _acked(cloud, "key.upsert") and _acked(cloud, "key.delegate"),
                timeout=60,
                what="the gateway holds the property key and the node's delegated key",
            )
            desk_node.start()
            wait_until(
                lambda: (
                    desk_node.status.delegation() is not None
                    and (r := desk_node.status.replica()) is not None
                    and any(s.reservation_id == booked for s in r.stays)
                    and any(m.username == "ana" for m in r.access.staff)
                ),
                timeout=30,
                what="the node holds its replica and its delegation",
            )
            own_mosquitto.stop()  # the internet is down
            wait_until(lambda: not desk_node.link.online.is_set(), timeout=20, what="the node offline")

            context = browser.new_context(locale="en-GB")
            page = context.new_page()
            page.goto(desk_url)  # no session: the portal's sign-in form
            page.locator("#username").fill("ana")
            page.locator("#password").fill(PASSWORD)
            page.locator("form.stack button").click()
            expect(page.locator("#staff")).to_have_text("Ana Ruiz")
            expect(page.locator("#sync")).to_contain_text("Offline since")
            expect(page.locator(f"#arrival-{booked}")).to_contain_text("Ana Ruiz")  # opened from the replica
            page.goto(f"{desk_url}/reservations")  # the cloud's today page, from the node's replica
            expect(page.locator("#arrivals-h")).to_contain_text("Arrivals today (1)")
            page.screenshot(path=str(SHOTS / "node-today-offline.png"), full_page=True)
            page.locator(f"form[action='/reservations/{booked}/check-in'] button").click()
            expect(page.locator(f"form[action='/reservations/{booked}/check-in']")).to_have_count(0)
            expect(page.locator("section:has(#arrivals-h)")).to_contain_text("checked in")  # as in the cloud
            page.goto(desk_url)

            form = page.locator("#walk-in")
            form.locator("[name=name]").fill("Mei Chen")
            form.locator("[name=email]").fill("mei@example.org")
            form.locator("[name=rate]").fill("95")
            walk_in_room = form.locator("[name=room]").input_value()
            form.locator("button").click()
            walk_in_row = page.locator(f"#in-house tr[data-room='{walk_in_room}']")
            expect(walk_in_row).to_contain_text("Mei Chen")
            walk_in = (walk_in_row.get_attribute("id") or "").removeprefix("stay-")

            walk_in_row.locator("form.card button").click()
            expect(page.locator("#done")).to_have_text("Card encoded.")
            assert isinstance(desk_node.encoder, SimulatedWriter)
            tag = desk_node.encoder.written[-1]  # the card the node wrote onto the tag on its reader
            card = ntag.read_card(tag)
            assert card == base64.b64decode(page.locator("#card").get_attribute("data-card") or "")
            assert _opens(bus, walk_in_room, card)  # the gateway process opens the door, offline
            assert not _opens(bus, "110" if walk_in_room != "110" else "109", card, wait_s=1.5)

            page.goto(f"{desk_url}/reservations/{booked}/checkout")  # the cloud's check-out page
            # the night was posted at check-in, as the cloud posts it: the balance is due
            owed = page.locator("#cash-amount").input_value()
            assert float(owed.replace(",", ".")) > 0, owed
            expect(page.locator("#folio-lines")).to_contain_text("Room night")
            page.screenshot(path=str(SHOTS / "node-checkout-offline.png"), full_page=True)
            page.locator("#cash-tendered").fill("500")
            page.locator("form:has(#cash-amount) button").click()
            expect(page.locator("#notice")).to_contain_text("Payment recorded")
            expect(page.locator("#change")).to_contain_text("Change to give")
            page.locator("form[action$='/checkout/finish'] button").click()
            expect(page.locator("#done")).to_have_text("Checked out.")
            expect(page.locator("#sync")).to_contain_text("changes waiting")
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SHOTS / "node-desk-offline.png"), full_page=True)

            own_mosquitto.start()  # the link returns: the replay
            wait_until(
                lambda: desk_node.outbox.pending()[0] == 0, timeout=60, what="the node's work confirmed"
            )
            with cloud.app.services.sessions() as s:  # type: ignore[attr-defined]
                wait_until(lambda: _status(cloud, booked) == "checked_out", timeout=30, what="replayed")
                res = s.get(Reservation, walk_in)
                assert res is not None and res.status == "checked_in" and res.guest_name == "Mei Chen"
                numbers = list(s.scalars(select(Invoice.number).where(Invoice.series == "INV-N-DESK-PC")))
                assert numbers == [1]
                (walk_in_card,) = s.scalars(
                    select(StayCredential).where(StayCredential.reservation_id == walk_in)
                )
                assert walk_in_card.encoded_uid == tag.uid.hex()  # the tag the node reported
            page.goto(desk_url)
            expect(page.locator("#sync")).to_contain_text("All synchronised", timeout=30_000)
            page.screenshot(path=str(SHOTS / "node-desk-synced.png"), full_page=True)
            # the same stay on the same screens, at the node and in the cloud
            wait_until(
                lambda: any(f.reservation_id == walk_in for f in desk_node.status.replica().folios),  # type: ignore[union-attr]
                timeout=90,
                what="the walk-in's folio in the node's replica",
            )
            owed: dict[str, str] = {}
            for name, base in (("node", desk_url), ("cloud", cloud.url)):
                if name == "cloud":
                    page.goto(f"{base}/signin")
                    page.locator("#username").fill("ana")
                    page.locator("#password").fill(PASSWORD)
                    page.locator("#password").press("Enter")
                page.goto(f"{base}/reservations/{walk_in}/checkout")
                expect(page.locator("#checkout-h")).to_contain_text("Mei Chen")
                owed[name] = page.locator("#guest-balance").inner_text()
                page.screenshot(path=str(SHOTS / f"{name}-checkout-synced.png"), full_page=True)
                page.goto(f"{base}/reservations")
                expect(page.locator("#arrivals-h")).to_be_visible()
                page.screenshot(path=str(SHOTS / f"{name}-today-synced.png"), full_page=True)
            assert owed["node"] == owed["cloud"], owed  # what the guest owes reads the same in both
            context.close()


@contextmanager
def gateway_process(config: Path, log: Path) -> Iterator[None]:
    """``posada edge`` as its own process, as systemd runs it on a floor."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(Path(__file__).parents[2])}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "posada.cli", "edge", "--config", str(config)],
            env=env,
            stdout=out,
            stderr=out,
        )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _opens(bus: SimulatedBus, room: str, card: bytes, *, wait_s: float = 10.0) -> bool:
    """Tap ``card`` at ``room``'s door node: True when its lock is energised."""
    lock = bus.nodes[NODES[room]].lock
    since = lock.mark()
    bus.nodes[NODES[room]].tap(card)
    return lock.wait_for(1, wait_s, since=since)


def _status(cloud: DeskCloud, res_id: str) -> str:
    with cloud.app.services.sessions() as s:  # type: ignore[attr-defined]
        res = s.get(Reservation, res_id)
        return res.status if res is not None else ""


@contextmanager
def _served(node: PropertyNode) -> Iterator[str]:
    """The node's desk app on a port of its own (uvicorn in a thread)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_desk_app(FrontDesk(node)), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port, timeout=20)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


BANNERS = {  # the banner's background by state: a warning, news, an alert, calm
    "offline": "rgb(255, 244, 214)",
    "waiting": "rgb(232, 238, 246)",
    "conflicts": "rgb(253, 228, 225)",
    "synced": "rgb(223, 243, 232)",
}


def test_the_sync_banner_shows_its_state_at_a_glance(browser: Browser, tmp_path: Path) -> None:
    """Offline in a warning colour, conflicts as an alert, all synchronised calm, changes on their
    way as news: each state of the link set on the node as its link sets it. Screenshots
    ``node-banner-*.png``."""
    from mqtt.node_messages import ConflictItem, NodeConflicts
    from tests.node.test_pages import PASSWORD as NODE_PASSWORD
    from tests.node.test_pages import _node

    node = _node(tmp_path)
    conflict = ConflictItem(event_id="e1", reservation_id="w9", rule="room_sold_twice", detail="room 102")
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with _served(node) as url:
            context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 420})
            page = context.new_page()
            page.goto(url)
            page.locator("#username").fill("ana")
            page.locator("#password").fill(NODE_PASSWORD)
            page.locator("form.stack button").click()
            sync = page.locator("#sync")
            shown: dict[str, str] = {}
            for state in ("offline", "conflicts", "synced"):
                node.status.link_changed(state != "offline", at=utcnow())
                node.status.conflicts_received(
                    NodeConflicts(replayed_seq=1, items=[conflict] if state == "conflicts" else [])
                )
                page.goto(url)
                expect(sync).to_have_class(f"banner banner-{state}")
                expect(sync).to_have_css("background-color", BANNERS[state])
                shown[state] = sync.evaluate("e => getComputedStyle(e).borderLeftWidth")
                page.screenshot(path=str(SHOTS / f"node-banner-{state}.png"))
            expect(sync).to_contain_text("All synchronised")
            page.locator("form[action='/arrivals/b1/check-in'] button").click()  # online, not sent yet
            expect(page.locator("#done")).to_have_text("Checked in.")
            expect(sync).to_have_class("banner banner-waiting")
            expect(sync).to_contain_text("1 change waiting to synchronise")
            expect(sync).to_have_css("background-color", BANNERS["waiting"])
            page.screenshot(path=str(SHOTS / "node-banner-waiting.png"))
            assert set(shown.values()) == {"6px"}  # a bar at its side, whatever the state
            context.close()
    finally:
        node.outbox.close()
        node.sessions.close()
