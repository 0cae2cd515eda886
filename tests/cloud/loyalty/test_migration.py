"""The loyalty and marketing branches go down and up again on their own."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from cloud.core.db import make_engine
from cloud.core.migrate import alembic_config, upgrade

LOYALTY = {
    "loyalty_members",
    "loyalty_member_profiles",
    "loyalty_lots",
    "loyalty_entries",
    "loyalty_settlements",
    "loyalty_redemptions",
}
MARKETING = {"marketing_consents", "marketing_segments", "marketing_campaigns", "marketing_sends"}


def test_the_loyalty_and_marketing_branches_go_down_and_up_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        config = alembic_config(engine)
        command.downgrade(config, "loyalty_0001")  # the surveys go, the points stay
        tables = set(inspect(engine).get_table_names())
        assert "loyalty_surveys" not in tables and tables >= LOYALTY
        command.downgrade(config, "loyalty@-1")  # from loyalty_0001 to below it
        command.downgrade(config, "marketing@-1")
        tables = set(inspect(engine).get_table_names())
        assert not (LOYALTY | MARKETING) & tables and {"guests", "reservations"} <= tables
        upgrade(engine)
        assert LOYALTY | MARKETING | {"loyalty_surveys"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
