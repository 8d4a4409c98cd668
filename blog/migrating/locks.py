"""The run lock: one migration run at a time on a database, held from its first statement to
its last, across commits (a revision may step out of the run's transaction, and a lock that
such a commit let go would let a second run in half-way); and the run's timeouts.

- PostgreSQL: the session's advisory lock, asked for in a loop (see postgresql_run_lock);
  every statement then waits at most LOCK_TIMEOUT_MS for a table lock.
- MariaDB: the session's GET_LOCK; lock waits of MYSQL_LOCK_WAIT_SECONDS.
- SQLite: an flock of `<database>-migration-lock`.

Commands that only read (current, check, migrate) take no lock.
"""

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from blog.sqlite import beside_database

# How long a second run waits for the first one to finish.
RUN_LOCK_WAIT_SECONDS = 600
# PostgreSQL: how long a statement may wait for a table lock. Waiting, it makes every later
# query of that table wait behind it; pgroll and GitLab use the same half second.
LOCK_TIMEOUT_MS = 500
# MariaDB counts lock waits in whole seconds; 0 would mean "never wait", and then a busy
# table might never be free at the very moment the statement asks.
MYSQL_LOCK_WAIT_SECONDS = 1
# Stops a runaway statement (PostgreSQL).
STATEMENT_TIMEOUT = "15min"
# Any fixed number will do, as long as every run of this project uses the same one.
# (PostgreSQL's advisory locks belong to one database; MariaDB's named locks to the
# whole server, hence the database's name in MYSQL_LOCK_NAME.)
POSTGRESQL_LOCK_KEY = 7_126_410_275
MYSQL_LOCK_NAME = "CONCAT('blog-migrations-', MD5(COALESCE(DATABASE(), '')))"
MYSQL = ("mysql", "mariadb")


@contextmanager
def run_lock(connection: Connection, owned: bool, writing: bool) -> Iterator[None]:
    """Hold this database's run lock (when the command writes), and set the run's timeouts."""
    dialect = connection.dialect.name
    if not writing:
        yield
    elif dialect == "sqlite":
        with sqlite_run_lock(connection):
            yield
    elif dialect == "postgresql" and owned:
        with postgresql_run_lock(connection):
            yield
    elif dialect in MYSQL:
        with mysql_run_lock(connection, owned):
            yield
    else:  # PostgreSQL inside a caller's transaction: the lock is taken in it (see _run)
        yield


@contextmanager
def postgresql_run_lock(connection: Connection) -> Iterator[None]:
    """The session's advisory lock and timeouts, committed at once so that the run starts
    outside any transaction; let go (and reset: the connection goes back to a pool) at the
    end, whatever happened.

    The lock is asked for again and again rather than waited for: a statement waiting for
    it holds a snapshot, and CREATE INDEX CONCURRENTLY in the run that has the lock waits
    for every such snapshot to go, a deadlock that PostgreSQL ends by killing one of them.
    """
    deadline = time.monotonic() + RUN_LOCK_WAIT_SECONDS
    take = f"SELECT pg_try_advisory_lock({POSTGRESQL_LOCK_KEY})"
    while not connection.exec_driver_sql(take).scalar():
        connection.commit()  # wait outside any transaction
        if time.monotonic() > deadline:
            raise RuntimeError("another migration run held the lock for too long")
        time.sleep(0.1)
    for statement in postgresql_timeouts():
        connection.exec_driver_sql(statement)
    connection.commit()
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        for statement in postgresql_session_reset():
            connection.exec_driver_sql(statement)
        connection.commit()


def postgresql_timeouts(scope: str = "") -> list[str]:
    """The timeouts every statement of the run has: the session's, or with `scope` "LOCAL"
    the transaction's."""
    set_ = f"SET {scope} " if scope else "SET "
    return [
        f"{set_}lock_timeout = '{LOCK_TIMEOUT_MS}ms'",
        f"{set_}statement_timeout = '{STATEMENT_TIMEOUT}'",
    ]


def postgresql_session_settings() -> list[str]:
    """Wait for the run lock, then set the timeouts, as a script runs it (psql has no loop
    to ask again)."""
    return [
        f"SET lock_timeout = '{RUN_LOCK_WAIT_SECONDS}s'",
        f"SELECT pg_advisory_lock({POSTGRESQL_LOCK_KEY})",
        *postgresql_timeouts(),
    ]


def postgresql_session_reset() -> list[str]:
    return [
        f"SELECT pg_advisory_unlock({POSTGRESQL_LOCK_KEY})",
        "RESET lock_timeout",
        "RESET statement_timeout",
    ]


def postgresql_transaction_settings() -> list[str]:
    """The same, for a run inside a caller's transaction: it all ends with the transaction."""
    return [
        f"SET LOCAL lock_timeout = '{RUN_LOCK_WAIT_SECONDS}s'",
        f"SELECT pg_advisory_xact_lock({POSTGRESQL_LOCK_KEY})",
        *postgresql_timeouts("LOCAL"),
    ]


@contextmanager
def mysql_run_lock(connection: Connection, owned: bool) -> Iterator[None]:
    """MariaDB/MySQL: a named lock for the run, and short waits for table locks."""
    got = connection.exec_driver_sql(
        f"SELECT GET_LOCK({MYSQL_LOCK_NAME}, {RUN_LOCK_WAIT_SECONDS})"
    ).scalar()
    if got != 1:
        raise RuntimeError("another migration run held the lock for too long")
    for variable in ("lock_wait_timeout", "innodb_lock_wait_timeout"):
        connection.exec_driver_sql(f"SET SESSION {variable} = {MYSQL_LOCK_WAIT_SECONDS}")
    if owned:
        connection.commit()
    try:
        yield
    finally:
        for variable in ("lock_wait_timeout", "innodb_lock_wait_timeout"):
            connection.exec_driver_sql(f"SET SESSION {variable} = DEFAULT")
        connection.exec_driver_sql(f"SELECT RELEASE_LOCK({MYSQL_LOCK_NAME})")
        if owned:
            connection.commit()


@contextmanager
def sqlite_run_lock(connection: Connection) -> Iterator[None]:
    """An exclusive flock of `<database>-migration-lock` for the run: unlike SQLite's own
    write lock, it outlives the commits of a revision that steps out of the transaction.
    (A database in memory belongs to one process, and needs none.)"""
    path = beside_database(connection.engine.url, "migration-lock")
    if path is None:
        yield
        return
    lock = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        deadline = time.monotonic() + RUN_LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        "another migration run held the lock for too long"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(lock)  # and with it the lock
