"""Indexes on tables that live traffic writes to, built without stopping the writes.

- PostgreSQL: CREATE INDEX CONCURRENTLY, outside the run's transaction (it cannot run in
  one), under the run lock all the same. A build that fails half-way leaves an INVALID
  index behind, which a plain rerun would trip over ("already exists") and which costs
  every write meanwhile: a rerun drops it first, and skips an index already built whole.
- MariaDB: ALGORITHM=INPLACE, LOCK=NONE, so writes go on while it builds (and the
  statement fails rather than lock the table, where that is impossible); IF NOT EXISTS,
  for a rerun after MariaDB committed the index but not the version table.
- SQLite: a plain CREATE INDEX (IF NOT EXISTS), in the run's transaction. It holds the
  write lock while it reads the table (about a second at a million posts here); readers
  go on.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from blog.migrating.locks import MYSQL
from blog.migrating.run import outside_transaction
from blog.migrating.run import patient_lock_wait

logger = logging.getLogger("alembic.env")


def create_index(
    name: str,
    table: str,
    columns: Sequence[str | sa.TextClause],
    *,
    unique: bool = False,
    postgresql_ops: dict[str, str] | None = None,
) -> None:
    """Create the index `name` on `table` (`columns`) without blocking writes to it.

    A column may be an expression, `sa.text("lower(name)")`, on PostgreSQL and SQLite:
    MariaDB indexes no expression.
    """
    context = op.get_context()
    dialect = context.dialect.name
    if dialect == "postgresql":
        with outside_transaction(), patient_lock_wait():
            if drop_leftover(name):
                op.create_index(
                    name,
                    table,
                    columns,
                    unique=unique,
                    postgresql_concurrently=True,
                    postgresql_ops=postgresql_ops or {},
                    if_not_exists=True,
                )
    elif dialect in MYSQL:
        names = [column for column in columns if isinstance(column, str)]
        if len(names) != len(columns):
            raise NotImplementedError(f"index {name}: MariaDB indexes no expression")
        kind = "UNIQUE INDEX" if unique else "INDEX"
        op.execute(
            f"CREATE {kind} IF NOT EXISTS {name} ON {table} ({', '.join(names)})"
            " ALGORITHM=INPLACE LOCK=NONE"
        )
    else:
        op.create_index(name, table, columns, unique=unique, if_not_exists=True)


def drop_leftover(name: str) -> bool:
    """Before a concurrent build on PostgreSQL: drop an INVALID index of this name that a
    failed build left. False if the index is there and valid: nothing left to build.

    A script (`--sql`) cannot look: it drops any index of this name, and builds it again.
    """
    if op.get_context().as_sql:
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        return True
    valid = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT i.indisvalid FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid"
                " WHERE c.relname = :name AND pg_table_is_visible(c.oid)"
            ),
            {"name": name},
        )
        .scalar()
    )
    if valid:
        logger.info("Index %s is already built (an earlier run stopped after it).", name)
        return False
    if valid is False:
        logger.warning("Dropping index %s, left INVALID by a build that failed.", name)
        op.execute(f"DROP INDEX CONCURRENTLY {name}")
    return True


def drop_index(name: str, table: str) -> None:
    """Drop the index `name` of `table` without blocking reads or writes for long
    (PostgreSQL: DROP INDEX CONCURRENTLY, outside the transaction)."""
    context = op.get_context()
    if context.dialect.name == "postgresql":
        with outside_transaction():
            op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(name, table_name=table)
