"""The service catalogue as the booking pages' extras (``cloud.guestweb.extras.ExtrasCatalogue``):
the active, priced service types a manager chose to offer when booking, named in the guest's
language (English when a name is missing)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.core.errors import NotFound
from cloud.guestweb.extras import Extra
from cloud.guestweb.models import EXTRA_UNITS, BookingExtra
from cloud.operations.errors import InvalidOperation
from cloud.operations.requests.models import ServiceType
from cloud.operations.requests.service import property_of

LANG = {"es": "es", "zh-Hans": "zh", "zh": "zh"}


def _extra(kind: ServiceType, per: str, language: str) -> Extra:
    name = kind.names.get(LANG.get(language, "en")) or kind.names.get("en") or kind.code
    return Extra(code=kind.code, name=name, unit_minor=kind.price_minor, currency=kind.currency,
                 charge_kind=kind.charge_kind, per=per)


class ServiceTypeExtras:
    def offered(self, session: Session, *, site: str, language: str) -> list[Extra]:
        prop = property_of(session, site)
        rows = session.execute(
            select(ServiceType, BookingExtra.per)
            .join(BookingExtra, BookingExtra.service_type_id == ServiceType.id)
            .where(ServiceType.property_id == prop.id, ServiceType.active, ServiceType.price_minor > 0)
            .order_by(ServiceType.department, ServiceType.code))
        return [_extra(kind, per, language) for kind, per in rows]

    def offer(self, session: Session, *, site: str, code: str, per: str) -> Extra:
        if per not in EXTRA_UNITS:
            raise InvalidOperation(f"an extra is counted per one of {', '.join(EXTRA_UNITS)}")
        kind = self._kind(session, site, code)
        if kind.price_minor <= 0:
            raise InvalidOperation("a free service is no extra to book")
        row = session.get(BookingExtra, kind.id) or BookingExtra(service_type_id=kind.id,
                                                                 property_id=kind.property_id)
        row.per = per
        session.add(row)
        session.flush()
        return _extra(kind, per, "en")

    def withdraw(self, session: Session, *, site: str, code: str) -> None:
        row = session.get(BookingExtra, self._kind(session, site, code).id)
        if row is None:
            raise NotFound(f"{code!r} is not offered when booking")
        session.delete(row)

    @staticmethod
    def _kind(session: Session, site: str, code: str) -> ServiceType:
        prop = property_of(session, site)
        kind = session.scalars(select(ServiceType).where(
            ServiceType.property_id == prop.id, ServiceType.code == code, ServiceType.active)).first()
        if kind is None:
            raise NotFound(f"no active service {code!r} at {site}")
        return kind
