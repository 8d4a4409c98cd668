"""Lock waits that ran out, tried again after a pause: the run, or one statement."""

import logging
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.exc import DBAPIError

from blog.migrating.locks import LOCK_TIMEOUT_MS
from blog.migrating.locks import MYSQL
from blog.migrating.locks import MYSQL_LOCK_WAIT_SECONDS

# Alembic's own logger for the environment: alembic.ini shows it at INFO.
logger = logging.getLogger("alembic.env")

# The pauses between attempts after a lock wait ran out, about a minute in all; a run that
# commits something between two attempts starts them over. Then the run fails and says so.
LOCK_RETRY_DELAYS = (0.25, 0.5, 1, 2, 4, 8, 16, 30)
# SQLSTATE lock_not_available (PostgreSQL); ER_LOCK_WAIT_TIMEOUT (MariaDB/MySQL).
POSTGRESQL_LOCK_TIMEOUT = "55P03"
MYSQL_LOCK_WAIT_TIMEOUT = 1205


def retried_after_lock_timeouts(
    run_migrations: Callable[[], None],
    connection: Connection,
    committed: Callable[[], tuple[str, ...]],
) -> None:
    """Run the migrations; when a statement's lock wait runs out, roll the transaction
    back and run them again, after a pause, from the last revision committed (`committed`
    tells which: the pauses start over when it moved).

    Rolling back lets go of every lock the transaction took, so nothing waits behind the
    migration while it pauses; retrying the statement alone would keep them. The
    revisions before one that stepped out of the transaction were committed, and are not
    run again; that one is, from its start, which it is written for (blog.migrating.run).
    """
    attempt, where = 0, committed()
    while True:
        try:
            run_migrations()
            return
        except DBAPIError as error:
            if error_code(error) != POSTGRESQL_LOCK_TIMEOUT:
                raise
            if connection.in_transaction():
                connection.rollback()
            if (now := committed()) != where:
                attempt, where = 0, now
            if attempt == len(LOCK_RETRY_DELAYS):
                raise
            delay = LOCK_RETRY_DELAYS[attempt]
            attempt += 1
            logger.warning(
                "A lock was not granted within %d ms (attempt %d): rolled back, retrying in %g s",
                LOCK_TIMEOUT_MS,
                attempt,
                delay,
            )
            time.sleep(delay)


def error_code(error: DBAPIError) -> str | int | None:
    """The driver's code for `error`: PostgreSQL's SQLSTATE, MariaDB's error number."""
    orig = error.orig
    if orig is None:
        return None
    return getattr(orig, "sqlstate", None) or (orig.args[0] if orig.args else None)


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

    def execute(
        cursor: DBAPICursor,
        statement: str,
        parameters: Sequence[Any] | Mapping[str, Any],
        context: DefaultExecutionContext,
    ) -> bool | None:
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
