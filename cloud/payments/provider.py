"""The port billing uses to take card payments; Stripe and a simulated twin implement it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cloud.core.money import Money


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    id: str
    status: str  # "succeeded", "pending" or "failed", in our words
    client_secret: str | None = None


class CardProvider(Protocol):
    name: str

    def create_payment(self, *, amount: Money, idempotency_key: str, description: str,
                       metadata: dict[str, str]) -> ProviderPayment:
        """Start a card payment; raise DeliveryError when the provider cannot be reached."""
        ...

    def refund(self, *, payment_id: str, amount: Money, idempotency_key: str) -> ProviderPayment:
        ...
