from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade


def migrated(url: str) -> sessionmaker[Session]:
    engine = make_engine(url)
    upgrade(engine)
    sessions: Any = make_sessionmaker(engine)
    return sessions
