"""The background loop that bills long stays whose period is due (hourly; a period is billed once)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.audit import audit
from cloud.billing.settings import BillingSettings
from cloud.catalog.models import Property
from cloud.core.clock import Clock
from cloud.core.periodic import Periodic
from cloud.operations.long_stays.billing import bill_property
from cloud.reservations.stays.credentials import CredentialIssuer


class ContractBiller:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Clock,
        billing: BillingSettings,
        issuer: CredentialIssuer | None = None,
        interval_s: float = 3600.0,
    ) -> None:
        self.sessions, self.clock, self.billing, self.issuer = sessions, clock, billing, issuer
        self._periodic = Periodic(
            self.run_once, interval_s=interval_s, name="long-stay-billing", done="billed %d long-stay periods"
        )

    def run_once(self) -> int:
        made = 0
        with self.sessions() as session:
            sites = list(session.scalars(select(Property.slug)))
        for site in sites:  # one transaction per property: one property's trouble does not hold the others
            with self.sessions.begin() as session:
                prop = session.scalar(select(Property).where(Property.slug == site))
                assert prop is not None
                for bill in bill_property(
                    session, prop, billing=self.billing, now=self.clock(), issuer=self.issuer
                ):
                    audit(
                        session,
                        "system:long-stay-billing",
                        "long_stay.bill",
                        "long_stay_bill",
                        bill.id,
                        {"gross_minor": bill.gross_minor},
                        site=site,
                    )
                    made += 1
        return made

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()
