"""The desk agent's calls to the cloud (httpx): long-poll for a job, report its result."""

from __future__ import annotations

import base64
import binascii
import ssl
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.desk.encoder import EncodeResult

USER_AGENT = "posada-desk/1"


class CloudError(Exception):
    """A call that did not work; ``retry`` says whether trying again later can help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class Job(BaseModel):
    """A claimed encode job as the cloud sends it (checked like any outside input)."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(pattern=r"^[0-9A-Za-z]{1,26}$")
    credential_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    card: str = Field(pattern=r"^[A-Za-z0-9_-]{1,400}={0,2}$")
    room: str = Field(max_length=63)
    guest: int = Field(ge=1, le=255)
    result_by: datetime

    def card_bytes(self) -> bytes:
        try:
            return base64.urlsafe_b64decode(self.card + "=" * (-len(self.card) % 4))
        except (binascii.Error, ValueError):
            return b""


class DeskClient:
    def __init__(self, *, url: str, token: str, site: str, station: str, transport: Any = None,
                 client_cert: tuple[str, str] | None = None, ca_file: str | None = None) -> None:
        """``client_cert`` (certificate, key): this station's identity for a cloud behind mutual TLS."""
        self.base = f"/api/v1/desk/{site}/{station}/jobs"
        self._http = httpx.Client(
            base_url=url.rstrip("/"),
            transport=transport,
            verify=_tls_context(client_cert, ca_file),
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
        )

    def next_job(self, *, wait_s: float) -> Job | None:
        """The station's next job, or None when the cloud had none within ``wait_s``."""
        response = self._call(
            "GET",
            f"{self.base}/next",
            params={"wait": wait_s},
            timeout=httpx.Timeout(10.0, read=wait_s + 15.0),
        )
        if response.status_code == 204:
            return None
        try:
            return Job.model_validate_json(response.content)
        except ValidationError as exc:
            raise CloudError(
                f"the cloud sent a job that does not validate: {exc.errors()[:2]}", retry=True
            ) from None

    def report(self, job_id: str, result: EncodeResult) -> str:
        """Send the result; returns the job's state as the cloud recorded it."""
        body: dict[str, Any] = {
            "ok": result.ok,
            "detail": "".join(c for c in result.detail if c.isprintable())[:200],
        }
        body.update({"uid": result.uid} if result.ok else {"reason": result.reason})
        response = self._call("POST", f"{self.base}/{job_id}/result", json=body, timeout=httpx.Timeout(10.0))
        state = response.json().get("state", "") if response.content else ""
        return str(state)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise CloudError(f"cloud unreachable: {exc!r}", retry=True) from None
        if response.status_code in (200, 204):
            return response
        detail = _detail(response)
        # 401/403: a wrong token or property (an operator must fix it); 409: the job is over.
        retry = response.status_code >= 500 or response.status_code == 429
        raise CloudError(f"{method} {path}: {response.status_code} {detail}", retry=retry)


def _tls_context(client_cert: tuple[str, str] | None, ca_file: str | None) -> ssl.SSLContext | bool:
    """The system's CAs (or ``ca_file``) to check the cloud, and this station's certificate if any."""
    if client_cert is None and ca_file is None:
        return True
    context = ssl.create_default_context(cafile=ca_file)
    if client_cert is not None:
        context.load_cert_chain(*client_cert)
    return context


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:200]
    except ValueError:
        return response.text[:200]
