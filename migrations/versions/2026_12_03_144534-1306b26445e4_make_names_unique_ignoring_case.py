"""make names unique ignoring case

Revision ID: 1306b26445e4
Revises: 0f4e7b2c9a68
Create Date: 2026-12-03 14:45:34.236452+00:00

"""

import sqlalchemy as sa
from alembic import op

from blog.migrating.duplicates import refuse_duplicates
from blog.migrating.indexes import create_index
from blog.migrating.indexes import drop_index
from blog.migrating.locks import MYSQL

# revision identifiers, used by Alembic.
revision = "1306b26445e4"
down_revision = "0f4e7b2c9a68"
branch_labels = None
depends_on = None
# When `flask deploy` runs it: "pre-deploy" (safe while the previous release still serves)
# or "post-deploy" (only once the new release serves everywhere): blog/migrating/phases.py.
# Pre-deploy: the previous release already refuses a category or user name that another
# has in any case (its save_category casefolds, its create_user compares lower()), so it
# writes nothing these keys refuse, and it needs nothing they change. Only two of its own
# requests at once could meet them, and then it answers as it did when the plain unique
# key caught an exact duplicate: a 409 for a category, an error for `flask users create`.
phase = "pre-deploy"

# Reviewed by hand: autogenerate saw the two indexes only (not MariaDB's collation), and
# wrote plain create_index calls, which on PostgreSQL stop writes while they build.
# Category and user names become unique ignoring case in the database, not only in the
# app's check, which two requests at once can both pass:
# - First, on every engine, rows whose names already clash that way: if there are any,
#   the run stops before anything is written, in one line naming them and the way out
#   (blog/migrating/duplicates.py). A clash written after the check and before an index
#   is built (the previous release racing itself) fails the build instead; the next run
#   names it (and on PostgreSQL first drops the INVALID index that build left).
# - PostgreSQL and SQLite: a unique index on lower(name), beside the unique key on name,
#   which stays (it costs a small table little, and dropping it on SQLite would copy the
#   table). PostgreSQL builds it CONCURRENTLY, writes going on; SQLite in the run's
#   transaction (blog/migrating/indexes.py). SQLite's lower() folds ASCII only: the app's
#   check folds the rest. SQLite cannot reflect an index on an expression, so a later
#   revision that rebuilds either table in batch mode must create its index again
#   (`flask db check` says so: blog/migrating/autogenerate.py).
# - MariaDB indexes no expression: its unique key on name compares as the column's
#   collation does, made utf8mb4_uca1400_as_ci (case-insensitive, accent-sensitive:
#   blog/models.py says why; MariaDB 10.10 or newer) instead of whatever default the
#   server gave the table; in place, writes going on (ALGORITHM=INPLACE, LOCK=NONE).
NAME_COLLATION = "utf8mb4_uca1400_as_ci"
TABLES = ("categories", "users")
REMEDY = (
    "Rename or merge the rows of each clash so that one keeps the name (for categories,"
    " move the posts to it and delete the others), then run the upgrade again"
)


def upgrade():
    mariadb = op.get_context().dialect.name in MYSQL
    # Compared as the new keys will compare them (on MariaDB, whatever the column has now).
    key = f"CONVERT(name USING utf8mb4) COLLATE {NAME_COLLATION}" if mariadb else "lower(name)"
    refuse_duplicates(
        dict.fromkeys(TABLES, key), "name", rule="unique ignoring case", remedy=REMEDY
    )
    for table in TABLES:
        if mariadb:
            op.execute(
                f"ALTER TABLE {table} MODIFY name VARCHAR(64) COLLATE {NAME_COLLATION}"
                " NOT NULL, ALGORITHM=INPLACE, LOCK=NONE"
            )
        else:
            create_index(f"uq_{table}_name_lower", table, [sa.text("lower(name)")], unique=True)


def downgrade():
    if op.get_context().dialect.name not in MYSQL:
        for table in reversed(TABLES):
            drop_index(f"uq_{table}_name_lower", table)
        return
    # Back to the table's own collation, which 391d89251b4c and 516cfe85f177 gave the
    # columns (they named none). Where it ignores accents, as utf8mb4_unicode_ci does,
    # names this revision let in ("Café" beside "cafe") would clash again: refused first.
    if not op.get_context().as_sql:
        refuse_duplicates(
            {table: f"name COLLATE {table_collation(table)}" for table in TABLES},
            "name",
            rule="unique under their table's collation again",
            remedy=REMEDY.replace("the upgrade", "the downgrade"),
        )
    for table in reversed(TABLES):
        op.execute(
            f"ALTER TABLE {table} MODIFY name VARCHAR(64) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE"
        )


def table_collation(table):
    return op.get_bind().scalar(
        sa.text(
            "SELECT TABLE_COLLATION FROM information_schema.TABLES"
            " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table"
        ),
        {"table": table},
    )
