"""A small app with the reservations routers, until the project's app factory includes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.errors import install_problem_handlers
from cloud.reservations.credentials import CredentialIssuer
from cloud.reservations.routes_all import routers


def make_app(
    sessions: sessionmaker[Session], *, clock: Callable[[], datetime], issuer: CredentialIssuer | None = None
) -> FastAPI:
    app = FastAPI(title="Posada")
    for router in routers():
        app.include_router(router)
    install_problem_handlers(app)
    app.state.sessionmaker = sessions
    app.state.clock = clock
    if issuer is not None:
        app.state.credential_issuer = issuer
    return app
