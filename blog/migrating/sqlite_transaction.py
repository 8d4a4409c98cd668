"""SQLite during a run: foreign keys off, one real transaction, and no broken key left."""

import sqlite3
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Row

from blog.sqlite import driver_connection


@contextmanager
def sqlite_run(connection: Connection, owned: bool, writing: bool) -> Iterator[None]:
    """On SQLite: foreign keys off, and a run that writes is one real transaction.

    Foreign keys: batch mode rebuilds a table by dropping it, and with foreign keys on,
    that drop would run ON DELETE actions (emptying category_id of every post). The
    pragma is set straight through the driver: through SQLAlchemy it would open a
    transaction that Alembic then takes for the caller's and never commits.

    The transaction: Python's sqlite3 driver only begins one before INSERT, UPDATE and
    DELETE, so DDL would run in autocommit. With the driver's own handling off,
    SQLAlchemy's begin emits BEGIN IMMEDIATE: the DDL is rolled back with everything else
    (see SQLAlchemy's pysqlite notes on "Serializable isolation / Savepoints /
    Transactional DDL"). Inside Alembic's autocommit_block, nothing is begun: each
    statement commits by itself. Everything is put back as it was afterwards: the
    connection returns to a pool.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    sqlite = driver_connection(connection)
    foreign_keys = pragma(sqlite, "foreign_keys")
    isolation_level = sqlite.isolation_level
    sqlite.execute("PRAGMA foreign_keys=OFF")
    if pragma(sqlite, "foreign_keys"):
        raise RuntimeError(
            "SQLite ignores PRAGMA foreign_keys inside a transaction: hand env.py a "
            "connection that has not written anything yet"
        )

    def begin_immediate(conn: Connection) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        if writing:
            if owned:
                sqlite.isolation_level = None
                event.listen(connection, "begin", begin_immediate)
            elif not sqlite.in_transaction:
                # The caller's transaction is SQLAlchemy's alone so far: make it SQLite's
                # too, or the DDL would be committed as it runs.
                sqlite.execute("BEGIN IMMEDIATE")
        yield
    finally:
        if event.contains(connection, "begin", begin_immediate):
            event.remove(connection, "begin", begin_immediate)
        sqlite.isolation_level = isolation_level
        if foreign_keys:
            # Ignored while a caller's transaction is still open; the app's engine switches
            # foreign keys on again whenever a connection is checked out of its pool.
            sqlite.execute("PRAGMA foreign_keys=ON")


def pragma(sqlite: sqlite3.Connection, name: str) -> Any:
    return sqlite.execute(f"PRAGMA {name}").fetchone()[0]


@contextmanager
def sqlite_foreign_keys_checked(connection: Connection, steps: list[Any]) -> Iterator[None]:
    """On SQLite, fail the run (before it commits) if it left a row pointing at nothing.

    The check reads every row of every table with a foreign key, so it runs only when the
    run could have broken one: rows changed beyond one version-table write per step, a
    foreign key was defined anew, or a table that keys point at was dropped or rebuilt.
    A run of plain DDL, such as adding a column, stays O(1).
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    sqlite = driver_connection(connection)
    changes, keys = sqlite.total_changes, foreign_key_state(connection)
    yield
    changed_rows = sqlite.total_changes - changes > len(steps)
    if changed_rows or foreign_key_state(connection) != keys:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left rows with broken foreign keys: {broken}")


def foreign_key_state(
    connection: Connection,
) -> tuple[Sequence[Row[*tuple[Any, ...]]], Sequence[Row[*tuple[Any, ...]]]]:
    """Every foreign key, and where each table they point at keeps its rows."""
    keys = connection.exec_driver_sql(
        "SELECT m.name, f.* FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f"
        " WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq"
    ).fetchall()
    parents = connection.exec_driver_sql(
        "SELECT name, rootpage FROM sqlite_master WHERE type = 'table' AND name IN"
        ' (SELECT f."table" FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f)'
        " ORDER BY name"
    ).fetchall()
    return keys, parents
