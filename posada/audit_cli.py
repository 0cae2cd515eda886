"""``posada audit verify``: walk the audit trail's hash chain in the database of the cloud's
settings (``POSADA_DATABASE_URL``) and report the first broken link."""

from __future__ import annotations

import sys
from typing import TextIO


def run(*, database_url: str | None = None, out: TextIO | None = None) -> int:
    """0 when every entry links to the one before and the head matches; 1 at the first break."""
    out = out or sys.stdout
    from cloud.auth.audit_chain import Broken
    from cloud.auth.audit_log import unsealed_count, verify_log
    from cloud.core.db import make_engine, make_sessionmaker
    from cloud.settings import load

    engine = make_engine(database_url or load().database_url)
    try:
        with make_sessionmaker(engine)() as session:
            result = verify_log(session)
            unsealed = unsealed_count(session)
    finally:
        engine.dispose()
    if isinstance(result, Broken):
        print(f"audit trail BROKEN at entry {result.seq}: {result.reason}", file=out)
        return 1
    print(f"audit trail intact: {result.entries} entries, last {result.last_seq} "
          f"(hash {result.last_hash[:16]}…); {unsealed} not yet sealed", file=out)
    return 0
