"""The CSRF middleware on its own: header or form field, body replayed intact, garbage refused."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from cloud.auth.context import SESSION_COOKIE
from cloud.auth.csrf import CsrfMiddleware
from cloud.auth.tokens import csrf_for

SECRET = "s" * 32
SESSION = "pss_session-token"
TOKEN = csrf_for(SESSION, secret=SECRET)


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"length": len(body), "token": getattr(request.state, "csrf_token", None)})


app = Starlette(
    routes=[Route("/echo", echo, methods=["GET", "POST"]), Route("/api/hook", echo, methods=["POST"])]
)
app.add_middleware(CsrfMiddleware, secret=SECRET)
client = TestClient(app, cookies={SESSION_COOKIE: SESSION})


def test_a_large_body_with_the_header_reaches_the_handler_intact() -> None:
    body = b"x" * (3 * 1024 * 1024)
    r = client.post(
        "/echo", content=body, headers={"x-csrf-token": TOKEN, "content-type": "application/json"}
    )
    assert r.json()["length"] == len(body)


def test_form_field_in_urlencoded_and_multipart_bodies_is_accepted_and_the_body_replayed() -> None:
    r = client.post("/echo", data={"csrf_token": TOKEN, "name": "Ana"})
    assert r.status_code == 200 and r.json()["length"] > 0
    r = client.post("/echo", data={"csrf_token": TOKEN}, files={"doc": ("id.txt", b"1234")})
    assert r.status_code == 200


def test_token_of_another_session_is_refused() -> None:
    other = csrf_for("pss_other", secret=SECRET)
    assert client.post("/echo", data={"csrf_token": other}).status_code == 403
    assert client.post("/echo", headers={"x-csrf-token": other}).status_code == 403


def test_cookieless_posts_to_the_api_are_exempt_but_bearer_never_needs_a_token() -> None:
    bare = TestClient(app)
    assert bare.post("/api/hook", json={"a": 1}).status_code == 200
    assert bare.post("/echo", json={"a": 1}).status_code == 403  # portal paths always need one
    assert client.post("/echo", json={"a": 1}, headers={"authorization": "Bearer psa_x"}).status_code == 200


def test_an_api_client_with_a_bearer_token_is_handed_no_cookie() -> None:
    bare = TestClient(app)
    r = bare.post("/api/hook", json={"a": 1}, headers={"authorization": "Bearer psa_x"})
    assert r.status_code == 200 and "set-cookie" not in r.headers
    assert not bare.cookies


def test_first_visit_gets_an_anonymous_cookie_that_binds_the_sign_in_form() -> None:
    fresh = TestClient(app)
    first = fresh.get("/echo")
    assert "posada_anon=" in first.headers["set-cookie"] and "HttpOnly" in first.headers["set-cookie"]
    token = fresh.get("/echo").json()["token"]
    assert token == first.json()["token"]
    assert fresh.post("/echo", data={"csrf_token": token}).status_code == 200


@settings(max_examples=60, deadline=None)
@given(
    body=st.binary(max_size=2000),
    kind=st.sampled_from(
        ["application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "multipart/form-data"]
    ),
)
def test_garbage_form_bodies_are_refused_never_crash(body: bytes, kind: str) -> None:
    r = client.post("/echo", content=body, headers={"content-type": kind})
    assert r.status_code == 403
