from tests.cloud.billing.db_fixtures import (  # noqa: F401
    billing_pg,
    billing_sqlite_template,
    engine,
    sqlite_only,
)
from tests.cloud.billing.stay_support import _desk, _stay_clock, _stay_sessions  # noqa: F401
