"""What the billing routes need from the app: the app's ``Services.billing``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Protocol

import httpx
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.fonts import FontChoice, find_cjk_font
from cloud.billing.models import Payment
from cloud.billing.settings import BillingSettings
from cloud.core.clock import Clock, utcnow
from cloud.core.deps import services
from cloud.core.http import outbound_client
from cloud.payments.provider import CardProvider
from cloud.payments.simulated import SimulatedCardProvider
from cloud.payments.stripe import StripeProvider


class RefundHook(Protocol):
    def __call__(self, session: Session, refund: Payment) -> None:
        """Told of a refund inside its transaction (loyalty takes back the points it earned)."""
        ...


@dataclass
class BillingContext:
    sessions: sessionmaker[Session]
    settings: BillingSettings
    provider: CardProvider
    clock: Clock = utcnow
    _font: FontChoice | None = field(default=None, repr=False)
    refund_hooks: list[RefundHook] = field(default_factory=list)

    def font(self) -> FontChoice:
        if self._font is None:
            self._font = find_cjk_font(self.settings.billing_invoice_font)
        return self._font


def build_context(sessions: sessionmaker[Session], settings: BillingSettings,
                  client: httpx.Client | None = None, *, clock: Clock = utcnow) -> BillingContext:
    """Stripe when a secret key is set, else the simulated provider (demo)."""
    provider: CardProvider
    if settings.stripe_secret_key:
        http = client or outbound_client(timeout_s=settings.http_timeout_s)
        provider = StripeProvider(http, secret_key=settings.stripe_secret_key,
                                  base_url=settings.stripe_api_base)
    else:
        provider = SimulatedCardProvider()
    return BillingContext(sessions=sessions, settings=settings, provider=provider, clock=clock)


async def get_context(request: Request) -> BillingContext:
    return services(request).billing


Ctx = Annotated[BillingContext, Depends(get_context)]
