"""The loyalty and marketing branches go down and up again on their own."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

from cloud.core.db import make_engine
from cloud.core.migrate import alembic_config, upgrade

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane

LOYALTY = {
    "loyalty_members",
    "loyalty_member_profiles",
    "loyalty_lots",
    "loyalty_entries",
    "loyalty_settlements",
    "loyalty_redemptions",
}
MARKETING = {"marketing_consents", "marketing_segments", "marketing_campaigns", "marketing_sends"}
PROMOTIONS = {
    "loyalty_promotions",
    "loyalty_promotion_sites",
    "loyalty_offer_codes",
    "loyalty_offer_uses",
    "loyalty_chain_rules",
}


def test_the_loyalty_and_marketing_branches_go_down_and_up_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        config = alembic_config(engine)
        command.downgrade(config, "loyalty_0003")  # redemptions lose their folio columns
        columns = {c["name"] for c in inspect(engine).get_columns("loyalty_redemptions")}
        assert "folio_charge_id" not in columns and "reversed_at" not in columns
        command.downgrade(config, "loyalty_0002")  # promotions, codes and chain rules go
        assert not PROMOTIONS & set(inspect(engine).get_table_names())
        command.downgrade(config, "loyalty_0001")  # the surveys go, the points stay
        tables = set(inspect(engine).get_table_names())
        assert "loyalty_surveys" not in tables and tables >= LOYALTY
        command.downgrade(config, "loyalty@-1")  # from loyalty_0001 to below it
        command.downgrade(config, "marketing@-1")
        tables = set(inspect(engine).get_table_names())
        assert not (LOYALTY | MARKETING) & tables and {"guests", "reservations"} <= tables
        upgrade(engine)
        assert LOYALTY | MARKETING | PROMOTIONS | {"loyalty_surveys"} <= set(
            inspect(engine).get_table_names()
        )
        assert "reversed_at" in {c["name"] for c in inspect(engine).get_columns("loyalty_redemptions")}
    finally:
        engine.dispose()
