"""Who may read the hotel's numbers: money is for the desk and management, never for
housekeeping or maintenance (``cloud.auth.roles``)."""

from __future__ import annotations

from cloud.auth.roles import Role

REPORT_ROLES: frozenset[Role] = frozenset({Role.FRONT_DESK, Role.MANAGER, Role.CHAIN_ADMIN})
# Expenses and the profit and loss: management only.
PNL_ROLES: frozenset[Role] = frozenset({Role.MANAGER, Role.CHAIN_ADMIN})
