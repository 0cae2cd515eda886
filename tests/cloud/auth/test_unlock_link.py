"""Unlock by e-mail: the link goes to the account's own address, works once and only for a while,
and asking for it tells nothing about which accounts exist."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from cloud.auth.models import StaffUser
from cloud.notify.models import OutboxMessage
from mqtt.envelope import utcnow
from tests.cloud.auth.portal_app import PASSWORD, PortalApp, csrf_of, fast_auth_env, portal_app


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Iterator[PortalApp]:
    fast_auth_env(monkeypatch)
    monkeypatch.setenv("POSADA_SIGNIN_FIRST_WAIT_SECONDS", "600")
    with portal_app(sqlite_url) as app:
        with app.auth.sessionmaker.begin() as s:
            s.execute(update(StaffUser).where(StaffUser.username == "front_desk-hotel")
                      .values(email="desk@example.com"))
        yield app


def _fail_until_waiting(portal: PortalApp) -> None:
    client = portal.client()
    token = csrf_of(client)
    for _ in range(3):
        client.post("/signin", data={"username": "front_desk-hotel", "password": "nope-nope-nope",
                                     "csrf_token": token})


def _links(portal: PortalApp) -> list[str]:
    with portal.auth.sessionmaker() as s:
        texts = s.scalars(select(OutboxMessage.payload).where(OutboxMessage.channel == "email")).all()
    return [m for text in texts for m in re.findall(r"http://testserver/signin/unlock/\S+", text["text"])]


def _ask(portal: PortalApp, username: str) -> str:
    client = portal.client()
    page = client.post("/signin/unlock",
                       data={"username": username, "csrf_token": csrf_of(client, "/signin/unlock")})
    assert page.status_code == 200
    return re.sub(r'value="[0-9a-f]{64}"', "", page.text)  # each visitor's CSRF token differs


def test_the_emailed_link_lets_the_owner_sign_in_at_once_and_only_once(portal: PortalApp) -> None:
    _fail_until_waiting(portal)
    client = portal.client()
    client.get("/signin")
    waiting = client.post("/signin", data={"username": "front_desk-hotel", "password": PASSWORD,
                                           "csrf_token": csrf_of(client)})
    assert waiting.status_code == 429 and "/signin/unlock" in waiting.text
    _ask(portal, "front_desk-hotel")
    [link] = _links(portal)
    path = link.removeprefix("http://testserver")
    confirm = client.get(path)  # opening the link changes nothing by itself
    assert confirm.status_code == 200
    done = client.post(path, data={"csrf_token": csrf_of(client, path)}, follow_redirects=False)
    assert done.status_code == 303
    portal.sign_in(client, "front_desk-hotel")
    assert client.get(path).status_code == 410  # used


def test_asking_answers_the_same_for_unknown_accounts_and_sends_nothing(portal: PortalApp) -> None:
    _fail_until_waiting(portal)
    assert _ask(portal, "nobody-here") == _ask(portal, "manager-hotel")  # no address, no failures
    assert _links(portal) == []


def test_a_forged_or_expired_link_does_nothing(portal: PortalApp) -> None:
    from cloud.auth.unlock_link import make_token

    _fail_until_waiting(portal)
    client = portal.client()
    with portal.auth.sessionmaker() as s:
        user = s.scalars(select(StaffUser).where(StaffUser.username == "front_desk-hotel")).one()
        stale = make_token(user, secret=portal.auth.settings.secret_key, now=utcnow() - timedelta(hours=1))
        forged = make_token(user, secret="another-secret", now=utcnow())
    for token in (stale, forged, "x.y.z", user.id + ".99999999999.00"):
        assert client.get(f"/signin/unlock/{token}").status_code == 410
    with portal.auth.sessionmaker() as s:
        assert s.get(StaffUser, user.id).failures == 3  # type: ignore[union-attr]
