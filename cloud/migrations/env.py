"""Alembic environment: the engine comes from the caller (``cloud.core.migrate``) or the URL."""

from __future__ import annotations

from alembic import context

import cloud.models  # noqa: F401  (registers every area's tables)
from cloud.core.db import Base, make_engine
from cloud.settings import load

config = context.config
engine = config.attributes.get("engine") or make_engine(load().database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
