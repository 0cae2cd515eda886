"""Imports every area's tables so that metadata (and Alembic) sees them all."""

from cloud.auth import models as auth  # noqa: F401
from cloud.billing import models as billing  # noqa: F401
from cloud.board import models as board  # noqa: F401
from cloud.cards import models as cards  # noqa: F401
from cloud.catalog import charges as catalog_charges  # noqa: F401
from cloud.catalog import models as catalog  # noqa: F401
from cloud.channels import models as channels  # noqa: F401
from cloud.commands import models as commands  # noqa: F401
from cloud.core import idempotency, rate_store  # noqa: F401
from cloud.guests import models as guests  # noqa: F401
from cloud.guestweb import models as guestweb  # noqa: F401
from cloud.housekeeping import models as housekeeping  # noqa: F401
from cloud.loyalty import models as loyalty  # noqa: F401
from cloud.loyalty.promotions import models as loyalty_promotions  # noqa: F401
from cloud.marketing import models as marketing  # noqa: F401
from cloud.node import models as node  # noqa: F401
from cloud.notify import models as notify  # noqa: F401
from cloud.operations.attendance import models as attendance  # noqa: F401
from cloud.operations.facilities import models as facilities  # noqa: F401
from cloud.operations.inventory import models as inventory  # noqa: F401
from cloud.operations.long_stays import models as long_stays  # noqa: F401
from cloud.operations.requests import models as service_requests  # noqa: F401
from cloud.reports import models as reports  # noqa: F401
from cloud.reservations import models as reservations  # noqa: F401
from cloud.reservations.groups import models as groups  # noqa: F401
from cloud.telemetry import models as telemetry  # noqa: F401
