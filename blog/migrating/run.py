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

from collections.abc import Iterator
from contextlib import AbstractContextManager
from contextlib import contextmanager
from typing import Any
from typing import Protocol

from alembic import op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.runtime.migration import MigrationInfo
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine

from blog.migrating import ledger
from blog.migrating.locks import LOCK_TIMEOUT_MS
from blog.migrating.locks import MYSQL
from blog.migrating.locks import STATEMENT_TIMEOUT
from blog.migrating.locks import postgresql_session_reset
from blog.migrating.locks import postgresql_session_settings
from blog.migrating.locks import postgresql_transaction_settings
from blog.migrating.locks import run_lock
from blog.migrating.retries import mysql_statements_retried
from blog.migrating.retries import retried_after_lock_timeouts
from blog.migrating.sqlite_transaction import sqlite_foreign_keys_checked
from blog.migrating.sqlite_transaction import sqlite_run

# Where a revision finds out whether the run is inside a caller's transaction.
IN_CALLERS_TRANSACTION = "blog.migrating.in_callers_transaction"


class Environment(Protocol):
    """What a run uses of Alembic's environment: the `alembic.context` module that
    migrations/env.py imports (it stands for the command's EnvironmentContext), or an
    EnvironmentContext itself."""

    @property
    def config(self) -> Config: ...

    @property
    def script(self) -> ScriptDirectory: ...

    def configure(self, **options: Any) -> None: ...

    def execute(self, sql: str) -> None: ...

    def begin_transaction(self) -> AbstractContextManager[object, bool | None]: ...

    def run_migrations(self, **kw: Any) -> None: ...

    def get_context(self) -> MigrationContext: ...

    def get_revision_argument(self) -> str | tuple[str, ...] | None: ...


def run_online(context: Environment, connectable: Connection | Engine, **options: Any) -> None:
    """Configure `context` on `connectable` (a Connection, or anything with .connect())
    with Alembic's `options`, and run the migrations under the run lock."""
    if isinstance(connectable, Connection):
        _run(context, connectable, options)
    else:
        with connectable.connect() as connection:
            _run(context, connection, options)


def run_offline(context: Environment, dialect: str, **options: Any) -> None:
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


def _run(context: Environment, connection: Connection, options: dict[str, Any]) -> None:
    dialect = connection.dialect.name
    # A caller that already opened a transaction keeps it: it commits or rolls back itself.
    owned = not connection.in_transaction()
    writing = names_a_revision(context)
    context.config.attributes[IN_CALLERS_TRANSACTION] = not owned
    steps: list[MigrationInfo] = []

    def applied(*, step: MigrationInfo, **_: object) -> None:
        steps.append(step)
        if writing:
            ledger.note(connection, step)

    with run_lock(connection, owned, writing), sqlite_run(connection, owned, writing):
        context.configure(
            **options,
            connection=connection,
            on_version_apply=applied,
            # SQLite can roll back DDL; Alembic assumes it cannot.
            transactional_ddl=dialect not in MYSQL,
            transaction_per_migration=dialect in MYSQL,
        )

        def run_migrations() -> None:
            with context.begin_transaction():
                if not owned and writing and dialect == "postgresql":
                    for statement in postgresql_transaction_settings():
                        connection.exec_driver_sql(statement)
                if writing:
                    heads = context.get_context().get_current_heads()
                    ledger.prepare(connection, context.script, heads)
                    if owned and dialect in MYSQL:  # its own transaction, as each revision's
                        connection.commit()
                with sqlite_foreign_keys_checked(connection, steps):
                    context.run_migrations()

        def committed() -> tuple[str, ...]:
            heads = context.get_context().get_current_heads()
            connection.rollback()  # what the question began
            return heads

        if owned and writing and dialect == "postgresql":
            retried_after_lock_timeouts(run_migrations, connection, committed)
        else:
            with mysql_statements_retried(connection, writing):
                run_migrations()


def names_a_revision(context: Environment) -> bool:
    """True for upgrade, downgrade and stamp, which change the database; false for
    current, check and migrate, which only read it and so take no lock."""
    try:
        context.get_revision_argument()
    except KeyError:  # only the commands that move the database name a destination
        return False
    return True


# PostgreSQL: the wait allowed for a lock that stops no read or write (see below).
WEAK_LOCK_TIMEOUT = "5min"


@contextmanager
def patient_lock_wait() -> Iterator[None]:
    """On PostgreSQL, let the statements inside wait longer for their locks, and run as long
    as they need, in a revision outside the run's transaction (the settings are the
    session's).

    For statements whose lock stops no read or write (SHARE UPDATE EXCLUSIVE: CREATE INDEX
    CONCURRENTLY, VALIDATE CONSTRAINT, VACUUM, ANALYZE), waiting in line holds nobody up;
    and what they wait for is often autovacuum, which gives way only after
    deadlock_timeout (1 s), or a long transaction that must end first. They read a whole
    table, which on a big one may take longer than the statement timeout.
    """
    if op.get_context().dialect.name != "postgresql":
        yield
        return
    op.execute(f"SET lock_timeout = '{WEAK_LOCK_TIMEOUT}'")
    op.execute("SET statement_timeout = 0")
    try:
        yield
    finally:
        op.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
        op.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")


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
