from tests.cloud.auth.conftest import portal  # noqa: F401  (the same app with staff at two properties)
