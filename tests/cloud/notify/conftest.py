from tests.cloud.billing.db_fixtures import engine, sqlite_only  # noqa: F401
