"""Operations: the storekeeper and spa attendant roles join the staff accounts' role check.

Revision ID: operations_0006
Revises: operations_0005

SQLite cannot alter a CHECK constraint, and rebuilding ``staff_users`` would cascade-delete the
sessions and tokens that reference it (foreign keys are on). So on SQLite the constraint's text is
rewritten in the schema, the documented way for a change that leaves the stored rows valid
(sqlite.org/lang_altertable.html, "making other kinds of table schema changes").
"""

import re

from alembic import op

revision = "operations_0006"
down_revision = "operations_0005"
branch_labels = None
depends_on = ("auth_0001",)  # staff_users and its role check

BEFORE = ("front_desk", "housekeeping", "maintenance", "manager", "chain_admin")
AFTER = (*BEFORE, "storekeeper", "spa")
NAME = "ck_staff_users_role"


def _check(roles: tuple[str, ...]) -> str:
    return "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"


def _set(roles: tuple[str, ...]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.execute(f"ALTER TABLE staff_users DROP CONSTRAINT IF EXISTS {NAME}")
        op.execute(f"ALTER TABLE staff_users ADD CONSTRAINT {NAME} CHECK ({_check(roles)})")
        return
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'staff_users'"
    ).scalar()
    new, count = re.subn(r"CHECK \(role IN \([^)]*\)\)", f"CHECK ({_check(roles)})", str(sql))
    if count != 1:
        raise RuntimeError("staff_users: the role check constraint was not found")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'staff_users'", (new,)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(str(version)) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    _set(AFTER)


def downgrade() -> None:
    _set(BEFORE)
