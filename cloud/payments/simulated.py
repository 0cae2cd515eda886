"""The simulated twin of the card provider, for the demo: payments succeed at once."""

from __future__ import annotations

import threading

from cloud.core.money import Money
from cloud.payments.provider import ProviderPayment


class SimulatedCardProvider:
    name = "simulated"

    def __init__(self, *, decline_over_minor: int | None = None) -> None:
        self.decline_over_minor = decline_over_minor
        self.payments: dict[str, tuple[Money, str]] = {}
        self.by_key: dict[str, ProviderPayment] = {}
        self._lock = threading.Lock()

    def create_payment(self, *, amount: Money, idempotency_key: str, description: str,
                       metadata: dict[str, str]) -> ProviderPayment:
        with self._lock:
            if idempotency_key in self.by_key:
                return self.by_key[idempotency_key]
            limit = self.decline_over_minor
            declined = limit is not None and amount.minor > limit
            result = ProviderPayment(f"sim_pi_{len(self.payments) + 1}",
                                     "failed" if declined else "succeeded")
            self.payments[result.id] = (amount, result.status)
            self.by_key[idempotency_key] = result
            return result

    def refund(self, *, payment_id: str, amount: Money, idempotency_key: str) -> ProviderPayment:
        with self._lock:
            if idempotency_key in self.by_key:
                return self.by_key[idempotency_key]
            result = ProviderPayment(f"sim_re_{len(self.by_key) + 1}", "succeeded")
            self.by_key[idempotency_key] = result
            return result
