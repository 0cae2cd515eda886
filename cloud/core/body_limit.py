"""Request bodies past a size are refused with ``413 Content Too Large`` (problem details).

A declared ``Content-Length`` over the limit is refused before a byte is read; a body sent in
chunks without one is counted as it arrives and refused when it passes the limit, before the
route has answered (the route sees the read fail and no partial work is committed).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloud.core.problems import problem


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a body passes the limit mid-stream; an HTTP error, so the
    framework's body parsing passes it on as it is and the problem handler answers 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the request body is over {max_bytes} bytes")


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        seen, started = 0, False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "Content Too Large",
                           f"the request body is over {self.max_bytes} bytes",
                           "/problems/too-large", scope.get("path"))
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
