"""The shared API token buckets in the database: one row per token, every worker's requests taken
from it in one upsert a round (``SqlBucketStore.settle``), the refill computed by the database."""

from __future__ import annotations

from sqlalchemy import Float, String, delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from cloud.core.db import Base


class ApiRateBucket(Base):
    """What is left of one API token's allowance, shared by every HTTP worker."""

    __tablename__ = "api_rate_buckets"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token, hex
    tokens: Mapped[float] = mapped_column(Float)  # below 0: a debt the next requests pay first
    at: Mapped[float] = mapped_column(Float)  # when it was last settled, Unix seconds


class SqlBucketStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def settle(self, spent: dict[str, int], *, now: float, rate: float, burst: float) -> dict[str, float]:
        """One statement for every key: refill since the row's last settlement, cap at ``burst``,
        take what was spent, never below ``-burst``."""
        with self.sessions.begin() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            insert = postgresql.insert if postgres else sqlite.insert
            least, greatest = (func.least, func.greatest) if postgres else (func.min, func.max)
            stmt = insert(ApiRateBucket).values(
                [{"key": key, "tokens": burst - count, "at": now} for key, count in sorted(spent.items())]
            )
            row = ApiRateBucket
            refilled = least(burst, row.tokens + greatest(0.0, stmt.excluded.at - row.at) * rate)
            settled = stmt.on_conflict_do_update(
                index_elements=["key"],
                set_={"tokens": greatest(-burst, refilled + stmt.excluded.tokens - burst),
                      "at": greatest(row.at, stmt.excluded.at)},
            ).returning(row.key, row.tokens)
            return {key: float(tokens) for key, tokens in session.execute(settled)}

    def forget(self, *, before: float) -> int:
        with self.sessions.begin() as session:
            result = session.execute(delete(ApiRateBucket).where(ApiRateBucket.at < before))
            return int(getattr(result, "rowcount", 0) or 0)
