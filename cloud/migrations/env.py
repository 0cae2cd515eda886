"""Alembic environment: the engine comes from the caller (``cloud.core.migrate``) or the URL."""

from __future__ import annotations

from alembic import context

import cloud.models  # noqa: F401  (registers every area's tables)
from cloud.core.db import Base, make_engine
from cloud.guests.context import build_guests
from cloud.guests.sealed import attach
from cloud.settings import load

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # run by alembic itself: the settings' database and guest keys
    settings = load()
    engine = make_engine(settings.database_url)
    attach(engine, build_guests(settings.guests).vault)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
