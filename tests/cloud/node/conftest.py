from tests.cloud.billing.db_fixtures import billing_sqlite_template, sqlite_only  # noqa: F401
