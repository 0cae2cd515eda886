"""Every error is problem details (RFC 9457): domain errors, 404, 405, 422, 413 and 500 alike,
and a 500 says nothing of its cause."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from cloud.core.body_limit import BodyLimit
from cloud.core.errors import NotFound
from cloud.core.problems import install_problem_handlers

SECRET = "password=hunter2 at db.internal:5432"


class Body(BaseModel):
    name: str


def _app(*, max_bytes: int = 1024) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(SECRET)

    @app.get("/missing")
    def missing() -> None:
        raise NotFound("no such thing")

    @app.post("/things")
    def things(body: Body) -> dict[str, str]:
        return {"name": body.name}

    app.add_middleware(BodyLimit, max_bytes=max_bytes)
    return app


@pytest.fixture
def client() -> TestClient:
    return TestClient(_app(), raise_server_exceptions=False)


def _is_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["title"] and body["type"]
    return body


def test_an_unknown_path_is_a_problem(client: TestClient) -> None:
    assert _is_problem(client.get("/nowhere"), 404)["instance"] == "/nowhere"


def test_a_wrong_method_is_a_problem_that_says_which_are_allowed(client: TestClient) -> None:
    response = client.delete("/things")
    _is_problem(response, 405)
    assert response.headers["allow"] == "POST"


def test_an_invalid_body_is_a_problem_with_its_errors(client: TestClient) -> None:
    body = _is_problem(client.post("/things", json={"nom": 1}), 422)
    assert body["errors"]


def test_a_domain_error_keeps_its_type(client: TestClient) -> None:
    assert _is_problem(client.get("/missing"), 404)["type"] == "/problems/not-found"


def test_an_unexpected_error_leaks_nothing_and_names_an_incident(client: TestClient,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    response = client.get("/boom")
    body = _is_problem(response, 500)
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert body["incident"] and str(body["incident"]) in caplog.text


def test_a_declared_body_over_the_limit_is_refused_unread(client: TestClient) -> None:
    response = client.post("/things", content=b"{" + b" " * 2000 + b"}",
                           headers={"content-type": "application/json"})
    _is_problem(response, 413)


def test_a_chunked_body_over_the_limit_is_refused(client: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"name": "'
        for _ in range(40):
            yield b"x" * 100
        yield b'"}'

    response = client.post("/things", content=chunks(), headers={"content-type": "application/json"})
    _is_problem(response, 413)


def test_a_body_under_the_limit_passes(client: TestClient) -> None:
    assert client.post("/things", json={"name": "ok"}).json() == {"name": "ok"}
