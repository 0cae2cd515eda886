"""Apps sharing their routes' dependants still keep their own router dependencies and overrides."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException
from fastapi.testclient import TestClient
from pydantic import BaseModel

from tests.support import route_cache

router = APIRouter()


def _guest() -> str:
    return "guest"


@router.get("/who/{room}")
def who(room: int, name: str = Depends(_guest)) -> dict[str, object]:
    return {"room": room, "name": name}


def _refuse() -> None:
    raise HTTPException(status_code=403)


def _app(*, refused: bool) -> FastAPI:
    app = FastAPI()
    app.include_router(router, dependencies=[Depends(_refuse)] if refused else [])
    return app


def test_each_app_keeps_its_own_router_dependencies_and_overrides() -> None:
    route_cache.install()
    for _ in range(2):  # the second round is built from the cache
        open_app, closed_app = _app(refused=False), _app(refused=True)
        open_app.dependency_overrides[_guest] = lambda: "ana"
        assert TestClient(open_app).get("/who/101").json() == {"room": 101, "name": "ana"}
        assert TestClient(closed_app).get("/who/101").status_code == 403
        assert TestClient(_app(refused=False)).get("/who/x").status_code == 422
    cached = [d for (path, call, _), d in route_cache._built.items() if call is who]
    assert cached and all(len(d.dependencies) == 1 for d in cached), "a copy, never the cached one, grows"


class Stay(BaseModel):
    room: int
    nights: int


class Quote(BaseModel):
    total: int


@router.post("/quote")
def quote(stay: Stay, discount: int = Body(0)) -> Quote:  # two body parameters: one combined field
    return Quote(total=stay.nights * 100 - discount)


def test_apps_share_response_and_body_fields_and_each_still_validates_and_serialises() -> None:
    route_cache.install()
    for _ in range(2):
        client = TestClient(_app(refused=False))
        body = {"stay": {"room": 101, "nights": 2}, "discount": 20}
        assert client.post("/quote", json=body).json() == {"total": 180}
        assert client.post("/quote", json={"stay": {"room": "x", "nights": 2}}).status_code == 422
    shared = [name for (name, _type, _mode) in route_cache._fields if "quote" in name]
    assert shared, "the response field is built once and shared"
    assert [key for key in route_cache._bodies if "quote" in key[0]], "so is the combined body field"
