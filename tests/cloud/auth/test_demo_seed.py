from __future__ import annotations

import pytest

from cloud.auth.demo import seed_demo_staff
from cloud.auth.roles import Role
from tests.cloud.auth.portal_app import PortalApp


def test_demo_seed_gives_one_working_login_per_role_and_new_passwords_each_run(portal: PortalApp) -> None:
    with portal.auth.sessionmaker() as s, s.begin():
        first = seed_demo_staff(s, passwords=portal.auth.passwords)
    with portal.auth.sessionmaker() as s, s.begin():
        second = seed_demo_staff(s, passwords=portal.auth.passwords)
    assert sorted(role for _, _, role in first) == sorted(r.value for r in Role)
    assert [u for u, _, _ in first] == [u for u, _, _ in second]
    assert all(a != b for (_, a, _), (_, b, _) in zip(first, second, strict=True))
    for username, password, role in second:
        client = portal.client()
        portal.sign_in(client, username, password)
        assert client.get("/api/v1/auth/me").json()["role"] == role
        assert client.get("/api/v1/auth/me").json()["site"] == (None if role == "chain_admin" else "hotel")


def test_a_property_never_moves_to_another_chain(portal: PortalApp) -> None:
    from cloud.auth.accounts import ensure_property
    from cloud.core.errors import Conflict

    with portal.auth.sessionmaker() as s, pytest.raises(Conflict):
        ensure_property(s, site="hotel", chain="other", name="Hotel")
