"""What the guest pages need from the app: their settings, the link signer, the rate limiter and
the checkout provider (Stripe when a secret key is set, else the simulated twin)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.fonts import FontChoice, find_cjk_font
from cloud.billing.settings import BillingSettings
from cloud.core.http import outbound_client
from cloud.guestweb.emails import Mailer
from cloud.guestweb.extras import ExtrasCatalogue, NoExtras
from cloud.guestweb.links import LinkSigner
from cloud.guestweb.rate_limit import Limiter, RateLimiter
from cloud.guestweb.rate_store import DatabaseRateLimiter
from cloud.guestweb.settings import GuestWebSettings
from cloud.payments.checkout import CheckoutProvider, SimulatedCheckout
from cloud.payments.stripe_checkout import StripeCheckout


@dataclass
class GuestWebContext:
    settings: GuestWebSettings
    billing: BillingSettings
    signer: LinkSigner
    checkout: CheckoutProvider
    limiter: Limiter = field(default_factory=RateLimiter)
    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time  # webhook timestamps are checked against real time
    font: Callable[[], FontChoice] = find_cjk_font
    extras: ExtrasCatalogue = field(default_factory=NoExtras)  # the service catalogue's, once wired

    def mailer(self, request_base: str) -> Mailer:
        """Links in emails point at the public URL (else where the request came in)."""
        base = self.settings.guestweb_public_url or request_base
        return Mailer(base_url=base, signer=self.signer, link_days=self.settings.guestweb_link_days,
                      font=self.font)


def build_guestweb(settings: GuestWebSettings, *, billing: BillingSettings, secret: str,
                   font: Callable[[], FontChoice], sessions: sessionmaker[Session], workers: int = 1,
                   client: httpx.Client | None = None) -> GuestWebContext:
    checkout: CheckoutProvider
    if billing.stripe_secret_key:
        checkout = StripeCheckout(client or outbound_client(timeout_s=billing.http_timeout_s),
                                  secret_key=billing.stripe_secret_key, base_url=billing.stripe_api_base)
    else:
        checkout = SimulatedCheckout()
    shared = settings.guestweb_shared_limits if settings.guestweb_shared_limits is not None else workers > 1
    limiter: Limiter = DatabaseRateLimiter(sessions) if shared else RateLimiter()
    return GuestWebContext(settings=settings, billing=billing, signer=LinkSigner(secret), checkout=checkout,
                           font=font, limiter=limiter)
