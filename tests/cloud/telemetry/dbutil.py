from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_sessionmaker
from tests.support.db import migrated_engine


def migrated(url: str) -> sessionmaker[Session]:
    engine = migrated_engine(url)
    sessions: Any = make_sessionmaker(engine)
    return sessions
