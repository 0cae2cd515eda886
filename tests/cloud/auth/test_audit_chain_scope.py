"""A chain administrator reads the entries of their chain's properties and those of no property made
by their chain's staff, never another chain's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from cloud.auth.audit import audit
from cloud.auth.models import StaffUser
from tests.cloud.loyalty.chain import Chain, chain_app


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    with chain_app() as built:
        yield built


def test_a_chain_administrator_sees_no_entry_of_another_chain(chain: Chain) -> None:
    with chain.app.services.sessions.begin() as session:
        ids = dict(session.execute(select(StaffUser.username, StaffUser.id)).all())
        for who in ("chain-admin", "manager-rival"):  # entries of no property: account work
            entry = audit(session, who, "staff.update", "staff", f"by-{who}")
            entry.actor_id = ids[who]
        audit(session, "manager-rival", "room.update", "room", "rival-room", site="rival")
    seen = chain.call("chain-admin", "GET", "/api/v1/audit", params={"action": "staff.update"})
    entries = seen if isinstance(seen, list) else seen["entries"]
    mine = {e["entity_id"] for e in entries} & {"by-chain-admin", "by-manager-rival"}
    assert mine == {"by-chain-admin"}
    rooms = chain.call("chain-admin", "GET", "/api/v1/audit", params={"entity_id": "rival-room"})
    assert not (rooms if isinstance(rooms, list) else rooms["entries"])


def test_a_page_mark_past_the_databases_integers_is_refused_not_a_server_error(chain: Chain) -> None:
    """``before_seq`` is a 64-bit sequence number: a larger one is a 422, on the API and the page."""
    for url in ("/api/v1/audit", "/audit"):
        chain.call("chain-admin", "GET", url, expect=422, params={"before_seq": str(2**63)})
        chain.call("chain-admin", "GET", url, params={"before_seq": str(2**63 - 1)})
