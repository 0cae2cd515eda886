"""How long a door node may admit a granted card alone (its offline allowlist)."""

from datetime import UTC, datetime, timedelta

from edge.floor_bus import NODE_MEMORY_MAX_S, node_memory_s
from edge.ports import Decision

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_refused_card_is_never_remembered() -> None:
    assert node_memory_s(Decision(False, "expired", valid_until=NOW + timedelta(days=1)), NOW) == 0


def test_granted_card_is_remembered_for_its_remaining_validity() -> None:
    decision = Decision(True, "granted", valid_until=NOW + timedelta(minutes=20))
    assert node_memory_s(decision, NOW) == 20 * 60


def test_memory_is_capped_so_a_revocation_reaches_a_cut_off_node_within_hours() -> None:
    decision = Decision(True, "granted", valid_until=NOW + timedelta(days=3))
    assert node_memory_s(decision, NOW) == NODE_MEMORY_MAX_S


def test_card_without_known_validity_is_not_remembered() -> None:
    assert node_memory_s(Decision(True, "granted"), NOW) == 0
