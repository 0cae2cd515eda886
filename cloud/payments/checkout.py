"""The port the guest pages pay through: a hosted checkout page (card with 3-D Secure, Alipay,
WeChat Pay) whose result arrives only by the provider's signed webhook. A simulated twin for the demo."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cloud.core.money import Money

METHODS = ("card", "alipay", "wechat_pay")


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    id: str
    url: str
    status: str  # "open", "complete" or "expired", in the provider's words
    payment_status: str = "unpaid"  # "paid" once the money is in


class CheckoutProvider(Protocol):
    name: str

    def create_checkout(self, *, amount: Money, description: str, reference: str, locale: str,
                        success_url: str, cancel_url: str, expires_at: datetime,
                        idempotency_key: str, methods: tuple[str, ...] = METHODS) -> CheckoutSession:
        """Open a hosted payment page; raise DeliveryError when the provider cannot be reached."""
        ...

    def expire_checkout(self, session_id: str) -> CheckoutSession:
        """Close an unpaid page so it can no longer take money."""
        ...


class SimulatedCheckout:
    """The demo's twin: the page is the return URL itself and the payment is taken at once."""

    name = "simulated"

    def __init__(self) -> None:
        self.sessions: dict[str, CheckoutSession] = {}
        self._lock = threading.Lock()

    def create_checkout(self, *, amount: Money, description: str, reference: str, locale: str,
                        success_url: str, cancel_url: str, expires_at: datetime,
                        idempotency_key: str, methods: tuple[str, ...] = METHODS) -> CheckoutSession:
        with self._lock:
            found = self.sessions.get(idempotency_key)
            if found is None:
                found = CheckoutSession(f"sim_cs_{len(self.sessions) + 1}", success_url, "complete", "paid")
                self.sessions[idempotency_key] = found
            return found

    def expire_checkout(self, session_id: str) -> CheckoutSession:
        return CheckoutSession(session_id, "", "expired")
