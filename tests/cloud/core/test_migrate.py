"""Starting on a database already at every head runs no migration; one revision behind, it migrates."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command

from cloud.core import migrate
from cloud.core.db import make_engine
from tests.support.db import migrated_sqlite


def test_a_migrated_database_is_not_migrated_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(migrated_sqlite(tmp_path / "cloud.db"))
    # the version table lists fewer revisions than there are heads (a head another one depends on)
    assert migrate.current(engine) != frozenset(migrate._scripts().get_heads())
    monkeypatch.setattr(command, "upgrade", lambda *_a, **_k: pytest.fail("migrated again"))
    migrate.upgrade(engine)
    engine.dispose()


# channels_0001 is a head no stored revision names once at heads; taking it down lists three others
@pytest.mark.parametrize("target", ["loyalty@-1", "channels@-1"])
def test_a_database_one_revision_behind_is_brought_to_every_head(tmp_path: Path, target: str) -> None:
    engine = make_engine(migrated_sqlite(tmp_path / "cloud.db"))
    at_heads = migrate.current(engine)
    config = migrate.alembic_config(engine)
    command.downgrade(config, target)
    assert migrate.current(engine) != at_heads
    migrate.upgrade(engine)
    assert migrate.current(engine) == at_heads
    engine.dispose()
