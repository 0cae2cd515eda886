from tests.cloud.billing.db_fixtures import (  # noqa: F401
    billing_pg,
    billing_sqlite_template,
    engine,
    sqlite_only,
)
