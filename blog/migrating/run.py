"""One migration run, as migrations/env.py starts it: one at a time, as atomic as the engine
allows, and brief in the locks live traffic has to wait for.

The run lock is held from the first statement to the last, across commits: a revision may
step out of the run's transaction (Alembic's `autocommit_block`, for PostgreSQL's CREATE
INDEX CONCURRENTLY or a backfill committed batch by batch), and a lock that such a commit
let go would let a second run in half-way.

- PostgreSQL: the session's `pg_advisory_lock`; one transaction for the run; a statement
  waits at most 500 ms for a table lock (`lock_timeout`), then the transaction rolls back
  and the run starts again from its last commit, after a pause that grows.
- MariaDB: the session's `GET_LOCK`; one transaction per revision (DDL commits by itself);
  lock waits of 1 s (its least), then the statement alone runs again, after a pause.
- SQLite: an `flock` of `<database>-migration-lock`; one transaction for the run, begun
  with `BEGIN IMMEDIATE`; the busy timeout, as a waiting writer holds up no reader.

Commands that only read (current, check, migrate) take no lock, so they answer during a
deploy. Handed a connection already in a transaction (as pytest-alembic may do), the run
stays inside it and leaves commit or rollback to the caller, under a transaction-level
lock; a revision that must step out of the transaction cannot run there.
"""

import fcntl
import logging
import os
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import op
from alembic.runtime.environment import EnvironmentContext
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from blog.sqlite import beside_database

# Alembic's own logger for the environment: alembic.ini shows it at INFO.
logger = logging.getLogger("alembic.env")

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
# The pauses between attempts after a lock wait ran out: about a minute in all, then the
# run fails and says so.
LOCK_RETRY_DELAYS = (0.25, 0.5, 1, 2, 4, 8, 16, 30)
# Any fixed number will do, as long as every run of this project uses the same one.
# (PostgreSQL's advisory locks belong to one database; MariaDB's named locks to the
# whole server, hence the database's name in MYSQL_LOCK_NAME.)
POSTGRESQL_LOCK_KEY = 7_126_410_275
MYSQL_LOCK_NAME = "CONCAT('blog-migrations-', MD5(COALESCE(DATABASE(), '')))"
MYSQL = ("mysql", "mariadb")
# SQLSTATE lock_not_available (PostgreSQL); ER_LOCK_WAIT_TIMEOUT (MariaDB/MySQL).
POSTGRESQL_LOCK_TIMEOUT = "55P03"
MYSQL_LOCK_WAIT_TIMEOUT = 1205
# Where a revision finds out whether the run is inside a caller's transaction.
IN_CALLERS_TRANSACTION = "blog.migrating.in_callers_transaction"


def run_online(
    context: EnvironmentContext, connectable: Connection | Engine, **options: Any
) -> None:
    """Configure `context` on `connectable` (a Connection, or anything with .connect())
    with Alembic's `options`, and run the migrations under the run lock."""
    if isinstance(connectable, Connection):
        _run(context, connectable, options)
    else:
        with connectable.connect() as connection:
            _run(context, connection, options)


def run_offline(context: EnvironmentContext, dialect: str, **options: Any) -> None:
    """Write the run as a script that does what an online run does: one transaction (one
    per revision on MariaDB), foreign keys off on SQLite, the run lock and the timeouts
    on PostgreSQL (a script has no retries: it stops at the first lock it cannot get)."""
    context.configure(**options, literal_binds=True, transactional_ddl=dialect not in MYSQL)
    if dialect == "sqlite":
        context.execute("PRAGMA foreign_keys=OFF")
    if dialect == "postgresql":
        for statement in postgresql_session_settings():
            context.execute(statement)
    with context.begin_transaction():
        context.run_migrations()
    if dialect == "postgresql":
        for statement in postgresql_session_reset():
            context.execute(statement)


def _run(context: EnvironmentContext, connection: Connection, options: dict[str, Any]) -> None:
    dialect = connection.dialect.name
    # A caller that already opened a transaction keeps it: it commits or rolls back itself.
    owned = not connection.in_transaction()
    writing = names_a_revision(context)
    context.config.attributes[IN_CALLERS_TRANSACTION] = not owned
    steps: list[Any] = []
    with run_lock(connection, owned, writing), sqlite_run(connection, owned, writing):
        context.configure(
            **options,
            connection=connection,
            on_version_apply=lambda **kw: steps.append(kw["step"]),
            # SQLite can roll back DDL; Alembic assumes it cannot.
            transactional_ddl=dialect not in MYSQL,
            transaction_per_migration=dialect in MYSQL,
        )

        def run_migrations() -> None:
            with context.begin_transaction():
                if not owned and writing and dialect == "postgresql":
                    for statement in postgresql_transaction_settings():
                        connection.exec_driver_sql(statement)
                with sqlite_foreign_keys_checked(connection, steps):
                    context.run_migrations()

        if owned and writing and dialect == "postgresql":
            retried_after_lock_timeouts(run_migrations, connection)
        else:
            with mysql_statements_retried(connection, writing):
                run_migrations()


def names_a_revision(context: EnvironmentContext) -> bool:
    """True for upgrade, downgrade and stamp, which change the database; false for
    current, check and migrate, which only read it and so take no lock."""
    try:
        context.get_revision_argument()
    except KeyError:  # only the commands that move the database name a destination
        return False
    return True


def retried_after_lock_timeouts(
    run_migrations: Callable[[], None], connection: Connection
) -> None:
    """Run the migrations; when a statement's lock wait runs out, roll the transaction
    back and run them again, after a pause, from the last revision committed.

    Rolling back lets go of every lock the transaction took, so nothing waits behind the
    migration while it pauses; retrying the statement alone would keep them. Revisions
    that stepped out of the transaction were committed, and are not run again.
    """
    for attempt, delay in enumerate(LOCK_RETRY_DELAYS, start=1):
        try:
            run_migrations()
            return
        except DBAPIError as error:
            if error_code(error) != POSTGRESQL_LOCK_TIMEOUT:
                raise
            if connection.in_transaction():
                connection.rollback()
            logger.warning(
                "A lock was not granted within %d ms (attempt %d): rolled back, retrying in %g s",
                LOCK_TIMEOUT_MS,
                attempt,
                delay,
            )
            time.sleep(delay)
    run_migrations()


def error_code(error: DBAPIError) -> str | int | None:
    """The driver's code for `error`: PostgreSQL's SQLSTATE, MariaDB's error number."""
    orig = error.orig
    if orig is None:
        return None
    return getattr(orig, "sqlstate", None) or (orig.args[0] if orig.args else None)


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
    for statement in postgresql_session_settings()[2:]:  # the timeouts
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


def postgresql_session_settings() -> list[str]:
    """Wait for the run lock, then set the timeouts every statement of the run has (as a
    script runs it: psql has no loop to ask again)."""
    return [
        f"SET lock_timeout = '{RUN_LOCK_WAIT_SECONDS}s'",
        f"SELECT pg_advisory_lock({POSTGRESQL_LOCK_KEY})",
        f"SET lock_timeout = '{LOCK_TIMEOUT_MS}ms'",
        f"SET statement_timeout = '{STATEMENT_TIMEOUT}'",
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
        f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'",
        f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'",
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
def mysql_statements_retried(connection: Connection, writing: bool) -> Iterator[None]:
    """On MariaDB/MySQL, run a statement of this connection again when its lock wait ran
    out, after a pause. There, the timeout undoes that statement alone, and DDL has
    already committed whatever came before it, so retrying the statement is exactly right.
    """
    if connection.dialect.name not in MYSQL or not writing:
        yield
        return
    lock_wait_timeout = connection.dialect.loaded_dbapi.OperationalError

    def execute(cursor, statement, parameters, context) -> bool | None:  # noqa: ANN001
        if context.root_connection is not connection:
            return None  # another connection of the same engine: SQLAlchemy executes it
        for attempt, delay in enumerate(LOCK_RETRY_DELAYS, start=1):
            try:
                cursor.execute(statement, parameters)
                return True
            except lock_wait_timeout as error:
                if error.args[0] != MYSQL_LOCK_WAIT_TIMEOUT:
                    raise
                logger.warning(
                    "A lock was not granted within %d s (attempt %d): retrying in %g s",
                    MYSQL_LOCK_WAIT_SECONDS,
                    attempt,
                    delay,
                )
                time.sleep(delay)
        cursor.execute(statement, parameters)
        return True

    event.listen(connection.engine, "do_execute", execute)
    try:
        yield
    finally:
        event.remove(connection.engine, "do_execute", execute)


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
    sqlite = connection.connection.driver_connection
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


def pragma(sqlite: Any, name: str) -> Any:
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
    sqlite = connection.connection.driver_connection
    changes, keys = sqlite.total_changes, foreign_key_state(connection)
    yield
    changed_rows = sqlite.total_changes - changes > len(steps)
    if changed_rows or foreign_key_state(connection) != keys:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left rows with broken foreign keys: {broken}")


def foreign_key_state(connection: Connection) -> tuple[list[Any], list[Any]]:
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


# PostgreSQL: the wait allowed for a lock that stops no read or write (see below).
WEAK_LOCK_TIMEOUT = "5min"


@contextmanager
def patient_lock_wait() -> Iterator[None]:
    """On PostgreSQL, let the statements inside wait longer for their locks, in a revision
    outside the run's transaction (the setting is the session's).

    For statements whose lock stops no read or write (SHARE UPDATE EXCLUSIVE: CREATE INDEX
    CONCURRENTLY, VALIDATE CONSTRAINT), waiting in line holds nobody up; and what they
    wait for is often autovacuum, which gives way only after deadlock_timeout (1 s), or a
    long transaction that must end first.
    """
    if op.get_context().dialect.name != "postgresql":
        yield
        return
    op.execute(f"SET lock_timeout = '{WEAK_LOCK_TIMEOUT}'")
    try:
        yield
    finally:
        op.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_MS}ms'")


@contextmanager
def outside_transaction() -> Iterator[None]:
    """Alembic's autocommit_block, inside a revision: for a statement that cannot run in a
    transaction, or batches that each commit by itself. It commits the run's transaction
    first (the revisions before this one stay applied whatever happens next), so what
    runs inside must be able to run again. Refused, in one line, in a run inside a
    caller's transaction, which it would commit behind the caller's back."""
    context = op.get_context()
    if context.config is not None and context.config.attributes.get(IN_CALLERS_TRANSACTION):
        raise RuntimeError(
            "this revision runs outside a transaction, and the run was handed a connection"
            " inside one: migrate with an Engine, or a connection not in a transaction"
        )
    with context.autocommit_block():
        yield
