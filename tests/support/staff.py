"""Signs a test client in as a staff member (bearer token) so guarded API and pages answer."""

from __future__ import annotations

import secrets

from fastapi.testclient import TestClient

from cloud.auth.accounts import create_staff, ensure_property, principal_of
from cloud.auth.context import AuthContext
from cloud.auth.roles import Role
from cloud.auth.sessions import issue_api_token
from cloud.auth.settings import AuthSettings
from mqtt.envelope import utcnow

# Real argon2id at the lowest cost: the default (64 MiB, 3 passes, 4 lanes) costs about 0.2 s of CPU
# per hash, and each test app hashes three passwords (the decoy, its staff member, a sign-in).
# The product's defaults are untouched; only test apps built with these settings use them.
FAST_AUTH = AuthSettings(argon2_memory_kib=1024, argon2_time_cost=1, argon2_parallelism=1)


def sign_in_staff(client: TestClient, *, site: str = "hotel", role: Role = Role.MANAGER,
                  chain: str = "test-chain") -> str:
    """Create a staff member of ``site`` with ``role`` and send their bearer token on every request."""
    ctx: AuthContext = client.app.services.auth  # type: ignore[attr-defined]
    with ctx.sessionmaker() as session, session.begin():
        ensure_property(session, site=site, chain=chain, name=site)
        user = create_staff(session, actor="test", passwords=ctx.passwords,
                            username=f"t-{secrets.token_hex(6)}", display_name="Test Staff",
                            password=secrets.token_urlsafe(16), role=role,
                            site=None if role is Role.CHAIN_ADMIN else site, chain=chain)
        token, _ = issue_api_token(session, principal=principal_of(session, user), name="tests", now=utcnow(),
                                   settings=ctx.settings)
    client.headers["Authorization"] = f"Bearer {token}"
    return token
