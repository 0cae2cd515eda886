"""Run Alembic migrations programmatically (every area's branch: ``upgrade heads``)."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


@functools.cache
def _scripts() -> ScriptDirectory:
    """The migration scripts, read once per process (loading them costs about 0.1 s)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


@functools.cache
def _behind(stored: frozenset[str]) -> bool:
    """Whether a database at ``stored`` lacks a revision. Not a comparison with the heads: the
    version table leaves out a revision that another stored one depends on (``depends_on``)."""
    scripts = _scripts()
    applied: set[str] = set()
    pending = list(scripts.get_revisions(tuple(sorted(stored))))
    while pending:
        script = pending.pop()
        if script is None or script.revision in applied:
            continue
        applied.add(script.revision)
        for parents in (script.down_revision, script.dependencies):
            names = (parents,) if isinstance(parents, str) else tuple(parents or ())
            pending.extend(scripts.get_revisions(names))
    return any(script.revision not in applied for script in scripts.walk_revisions())


def current(engine: Engine) -> frozenset[str]:
    with engine.connect() as connection:
        return frozenset(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine) -> None:
    """Bring the schema to every head; a database already there costs one query, not a migration run."""
    if not _behind(current(engine)):
        return
    command.upgrade(alembic_config(engine), "heads")
