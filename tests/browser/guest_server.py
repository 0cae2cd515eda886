"""The whole hotel for the guest's journey: the cloud, Mosquitto and a floor gateway whose doors
are firmware nodes on a simulated bus (``tests.support.hotel``), a phone-key scanner at every
room's door, the Stripe stand-in under uvicorn in a thread (its webhooks posted to the cloud,
signed), and a local SMTP server that requires STARTTLS, which the cloud's outbox loop sends to."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from tests.support.hotel import ROOMS, Hotel, running_hotel
from tests.support.ports import free_port, wait_for_port
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.stripe_standin import SECRET_KEY, StripeStandIn, make_app

WEBHOOK_SECRET = "whsec_browser_guest"


@dataclass
class GuestServer:
    url: str
    stripe_url: str
    stripe: StripeStandIn
    smtp: SmtpServer
    hotel: Hotel


@contextmanager
def _stripe(port: int, standin: StripeStandIn) -> Iterator[str]:
    config = uvicorn.Config(make_app(standin), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def guest_server() -> Iterator[GuestServer]:
    directory = Path(tempfile.mkdtemp(prefix="posada-guest-"))
    standin = StripeStandIn(webhook_secret=WEBHOOK_SECRET)
    with smtp_server(directory) as smtp, _stripe(free_port(), standin) as stripe_url:
        env = {
            "POSADA_STRIPE_SECRET_KEY": SECRET_KEY,
            "POSADA_STRIPE_API_BASE": stripe_url,
            "POSADA_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "POSADA_SMTP_HOST": smtp.host,
            "POSADA_SMTP_PORT": str(smtp.port),
            "POSADA_SMTP_CA_FILE": smtp.ca_file,
            "POSADA_SMTP_FROM": "Posada Demo Hotel <desk@hotel.test>",
            "POSADA_NOTIFY_POLL_S": "0.2",
        }
        with running_hotel(env=env, scanner_rooms=tuple(ROOMS)) as hotel:
            webhook = f"{hotel.url}/api/v1/guest/payments/stripe/webhook"
            standin.deliver = lambda payload, headers: httpx.post(webhook, content=payload, headers=headers,
                                                                  timeout=30).status_code
            yield GuestServer(url=hotel.url, stripe_url=stripe_url, stripe=standin, smtp=smtp, hotel=hotel)
