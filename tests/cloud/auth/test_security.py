"""Every page and endpoint refuses the anonymous and the wrong role; CSRF; expiry; sign-in waits; tokens."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import update

from cloud.auth.models import StaffSession
from cloud.auth.roles import Role
from mqtt.envelope import utcnow
from tests.cloud.auth.portal_app import PASSWORD, PortalApp, csrf_of

# Provider webhooks are public and authenticated by their signature or verify token instead.
WEBHOOKS = {"/api/v1/payments/stripe/webhook", "/api/v1/notify/whatsapp/webhook",
            "/api/v1/notify/telegram/webhook", "/api/v1/guest/payments/stripe/webhook",
            "/api/v1/notify/email/bounces"}  # the mail server's own bearer token (bounce reports)
# A channel's own calls and feeds: its secret (Bearer, or in the feed URL) admits it, not staff.
CHANNELS = {"/api/v1/channels/ota/reservations", "/channels/ical/{secret}/types/{room_code}.ics",
            "/channels/ical/{secret}/rooms/{slug}.ics"}
# The guests' own pages: public, each booking reached only through its signed link (cloud/guestweb).
GUEST_PAGES = {"/guest/{site}", "/guest/{site}/book", "/guest/{site}/stay/{ref}",
               "/guest/{site}/stay/{ref}/pay",
               "/guest/{site}/optout/{ref}", "/guest/{site}/precheckin/{ref}",
               "/guest/{site}/precheckin/{ref}/qr.png", "/guest/{site}/stay/{ref}/key",
               "/guest/{site}/stay/{ref}/key.png", "/guest/{site}/stay/{ref}/checkout",
               "/guest/{site}/stay/{ref}/checkout/pay",
               "/guest/{site}/stay/{ref}/cancel", "/guest/{site}/stay/{ref}/requests",
               "/guest/{site}/stay/{ref}/facilities", "/guest/{site}/survey/{token}",
               "/api/v1/loyalty/surveys/{token}/answer", "/guest/unsubscribe/{ref}", "/guest/m/{send_id}.gif",
               "/api/v1/marketing/unsubscribe/{ref}"}
PUBLIC = {"/signin", "/signin/unlock", "/signin/unlock/{token}", "/health", "/lang", "/signout",
          "/api/v1/auth/tokens", *WEBHOOKS, *CHANNELS,
          *GUEST_PAGES}
GUEST = {"name": "Ana García López", "email": "ana@example.com", "phone": "+34 600 111 222"}


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every endpoint, looking into included routers."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(api_routes(route.original_router.routes))
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "01JD0000000000000000000000", path)


@pytest.mark.slow
def test_every_route_refuses_anonymous(portal: PortalApp) -> None:
    client = portal.client()
    routes = [r for r in api_routes(portal.app.routes) if r.path not in PUBLIC]
    assert len(routes) > 20
    for route in routes:
        for method in route.methods - {"HEAD"}:
            r = client.request(
                method,
                _concrete(route.path),
                follow_redirects=False,
                headers={"x-csrf-token": "x"} if method != "GET" else {},
            )
            if route.path.startswith("/api/"):
                assert r.status_code == 401, (method, route.path, r.status_code)
            elif method == "GET":
                assert r.status_code == 303 and r.headers["location"].startswith("/signin"), route.path
            else:
                assert r.status_code in (401, 403), (method, route.path, r.status_code)


@pytest.mark.parametrize("username", ["maintenance-hotel", "housekeeping-hotel"])
def test_roles_without_guest_access_are_refused_guest_pages_and_api(portal: PortalApp, username: str) -> None:
    desk = portal.client()
    portal.sign_in(desk, "front_desk-hotel")
    r = desk.post(
        "/guests/new", data={**GUEST, "csrf_token": csrf_of(desk, "/guests/new")}, follow_redirects=False
    )
    guest_path = r.headers["location"]
    client = portal.client()
    portal.sign_in(client, username)
    for path in ("/guests", guest_path, f"{guest_path}/export", "/guests/new", "/staff"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 403, path
        assert "Ana" not in r.text
    assert client.get("/api/v1/guests", params={"q": "Ana"}).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # rooms they may see


def test_staff_of_another_property_cannot_see_the_guest(portal: PortalApp) -> None:
    desk = portal.client()
    portal.sign_in(desk, "front_desk-hotel")
    r = desk.post(
        "/guests/new", data={**GUEST, "csrf_token": csrf_of(desk, "/guests/new")}, follow_redirects=False
    )
    guest_path = r.headers["location"]
    assert "Ana García López" in desk.get(guest_path).text
    other = portal.client()
    portal.sign_in(other, "front_desk-annex")
    assert other.get(guest_path).status_code == 404
    assert "Ana" not in other.get("/guests", params={"q": "ana@example.com"}).text
    admin = portal.client()
    portal.sign_in(admin, "chain-admin")
    assert "Ana García López" in admin.get("/guests", params={"q": "garcia"}).text


def test_posts_without_csrf_token_are_refused(portal: PortalApp) -> None:
    client = portal.client()
    client.get("/signin")
    r = client.post(
        "/signin", data={"username": "manager-hotel", "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 403
    portal.sign_in(client, "manager-hotel")
    for path, data in [
        ("/guests/new", GUEST),
        ("/account/signout-everywhere", {}),
        ("/signout", {}),
        ("/staff", {"username": "x1", "display_name": "X", "password": "p" * 12, "role": "front_desk"}),
    ]:
        assert client.post(path, data=data, follow_redirects=False).status_code == 403, path
        bad = client.post(path, data={**data, "csrf_token": "0" * 64}, follow_redirects=False)
        assert bad.status_code == 403, path
    assert client.get("/account").status_code == 200  # still signed in: nothing happened


def test_expired_session_redirects_to_sign_in(portal: PortalApp) -> None:
    client = portal.client()
    portal.sign_in(client, "front_desk-hotel")
    assert client.get("/guests", follow_redirects=False).status_code == 200
    with portal.auth.sessionmaker() as s, s.begin():
        s.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    r = client.get("/guests?q=x", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=%2Fguests%3Fq%3Dx"


def test_sign_out_everywhere_ends_other_sessions(portal: PortalApp) -> None:
    pc, tablet = portal.client(), portal.client()
    portal.sign_in(pc, "front_desk-hotel")
    portal.sign_in(tablet, "front_desk-hotel")
    r = pc.post(
        "/account/signout-everywhere", data={"csrf_token": csrf_of(pc, "/account")}, follow_redirects=False
    )
    assert r.status_code == 303
    assert tablet.get("/guests", follow_redirects=False).status_code == 303
    assert pc.get("/guests", follow_redirects=False).status_code == 303


def test_repeated_failures_make_the_next_attempt_wait_even_with_the_right_password(portal: PortalApp) -> None:
    client = portal.client()
    client.get("/signin")
    token = csrf_of(client)
    codes = [
        client.post(
            "/signin", data={"username": "manager-hotel", "password": "wrong-password!", "csrf_token": token}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    right = client.post(
        "/signin",
        data={"username": "manager-hotel", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert right.status_code == 429 and int(right.headers["retry-after"]) >= 1


def test_bearer_tokens_carry_the_role_and_can_be_revoked(portal: PortalApp) -> None:
    client = portal.client()
    issued = client.post("/api/v1/auth/tokens", json={"username": "maintenance-hotel", "password": PASSWORD})
    assert issued.status_code == 201
    headers = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).json()["role"] == "maintenance"
    assert client.get("/api/v1/guests", params={"q": "a"}, headers=headers).status_code == 403
    assert client.get("/api/v1/board", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/auth/tokens/{issued.json()['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer psa_forged"}).status_code == 401


def test_session_cookie_is_httponly_lax_and_secure_over_https(portal: PortalApp) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(portal.app, base_url="https://testserver")
    client.get("/signin")
    r = client.post(
        "/signin",
        data={"username": "manager-hotel", "password": PASSWORD, "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "posada_session" in v)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie


GUEST_PREFIXES = ("/api/v1/guests", "/guests")
STAFF_PREFIXES = ("/staff",)


@pytest.mark.parametrize(
    ("username", "refused"),
    [
        ("maintenance-hotel", GUEST_PREFIXES + STAFF_PREFIXES),
        ("housekeeping-hotel", GUEST_PREFIXES + STAFF_PREFIXES),
        ("front_desk-hotel", STAFF_PREFIXES),
    ],
)
def test_every_guest_and_staff_route_refuses_the_wrong_role(
    portal: PortalApp, username: str, refused: tuple[str, ...]
) -> None:
    client = portal.client()
    token = client.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD}).json()[
        "token"
    ]
    routes = [r for r in api_routes(portal.app.routes) if r.path.startswith(refused)]
    assert len(routes) >= 5
    for route in routes:
        for method in route.methods - {"HEAD"}:
            r = client.request(
                method,
                _concrete(route.path),
                headers={"Authorization": f"Bearer {token}"},
                params={"q": "a"},
                follow_redirects=False,
            )
            assert r.status_code == 403, (username, method, route.path, r.status_code)


def test_pages_are_never_cached_nor_framed(portal: PortalApp) -> None:
    client = portal.client()
    portal.sign_in(client, "front_desk-hotel")
    page = client.get("/guests")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/portal.css").headers.get("cache-control") != "no-store"


def declared_roles(route: APIRoute) -> frozenset[Role] | None:
    """The roles a route admits (the narrowest ``require_role`` in its dependency tree), or None."""
    found: frozenset[Role] | None = None
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        roles = getattr(dependant.call, "roles", None)
        if roles is not None:
            found = roles if found is None else found & roles
        pending.extend(dependant.dependencies)
    return found


# Routes every signed-in member of staff may use (their property scope still applies).
ANY_STAFF = (
    "/", "/account", "/account/", "/rooms/", "/api/v1/board", "/api/v1/board/stream", "/api/v1/rooms/",
    "/api/v1/events/", "/api/v1/credentials/", "/api/v1/telemetry/", "/api/v1/maintenance/",
    "/api/v1/auth/", "/api/v1/health",
    # the chain's promotions are shown to all staff; defining, deciding and withdrawing check the
    # role in the handler (chain administrator, or manager for their property: 403 otherwise)
    "/loyalty/promotions", "/loyalty/promotions/", "/api/v1/loyalty/promotions",
    "/api/v1/loyalty/promotions/",
)


def _any_staff(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p) and p != "/") for p in ANY_STAFF)


def test_every_route_declares_who_may_use_it(portal: PortalApp) -> None:
    """A new route must say its roles (``require_role``) or be listed as open to all staff."""
    undeclared = [
        r.path for r in api_routes(portal.app.routes)
        if r.path not in PUBLIC and declared_roles(r) is None and not _any_staff(r.path)
    ]
    assert undeclared == [], "\n".join(undeclared)


@pytest.mark.slow
def test_every_route_refuses_each_role_it_does_not_admit(portal: PortalApp) -> None:
    client = portal.client()
    tokens = {}
    for role in Role:
        username = "chain-admin" if role is Role.CHAIN_ADMIN else f"{role.value}-hotel"
        issued = client.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD})
        tokens[role] = issued.json()["token"]
    checked = 0
    for route in api_routes(portal.app.routes):
        roles = declared_roles(route)
        if route.path in PUBLIC or roles is None:
            continue
        for role in set(Role) - roles:
            for method in route.methods - {"HEAD"}:
                r = client.request(
                    method,
                    _concrete(route.path),
                    headers={"Authorization": f"Bearer {tokens[role]}"},
                    follow_redirects=False,
                )
                assert r.status_code == 403, (role.value, method, route.path, r.status_code)
                checked += 1
    assert checked > 50
