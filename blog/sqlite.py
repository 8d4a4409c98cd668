"""SQLite connection settings for a database that several processes share, and a queue
for their writes."""

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.pool import PoolProxiedConnection

# How long a writer waits for another one before "database is locked".
BUSY_TIMEOUT_MS = 10_000


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite fit for gunicorn workers writing at once (a no-op on other databases).

    - WAL: readers never wait for a writer, and a writer waits only for another writer;
    - a busy timeout: that writer waits instead of failing with "database is locked";
    - synchronous=NORMAL, safe with WAL: a commit does not wait for the disk (after a
      power cut the last commits may be gone, but the file is never corrupt);
    - foreign keys, and so ON DELETE SET NULL, enforced.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(
        dbapi_connection: sqlite3.Connection, connection_record: ConnectionPoolEntry
    ) -> None:
        # The timeout first: switching to WAL itself waits for other connections' locks.
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        use_wal(dbapi_connection)
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    # At every checkout, not once per connection: a migration switches foreign keys off
    # for its duration, and must not hand the connection back without them. Read before
    # written: setting any such flag makes SQLite throw away every prepared statement of
    # the connection, and compile each query again at its next use.
    @event.listens_for(engine, "checkout")
    def _on_checkout(
        dbapi_connection: sqlite3.Connection,
        connection_record: ConnectionPoolEntry,
        connection_proxy: PoolProxiedConnection,
    ) -> None:
        (enabled,) = dbapi_connection.execute("PRAGMA foreign_keys").fetchone()
        if not enabled:
            dbapi_connection.execute("PRAGMA foreign_keys=ON")


def driver_connection(connection: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under a SQLAlchemy connection to SQLite."""
    sqlite = connection.connection.driver_connection
    if not isinstance(sqlite, sqlite3.Connection):  # None once the connection is closed
        raise TypeError(f"not an open sqlite3 connection: {sqlite!r}")
    return sqlite


def use_wal(dbapi_connection: sqlite3.Connection) -> None:
    """Put the database file in WAL mode, which it keeps (memory databases stay as they are).

    Two processes opening a new database at once (two `flask db upgrade`) may both try to
    switch it; SQLite then answers one "database is locked" at once, without its busy
    handler (waiting could deadlock them), so the loser tries again within the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@contextmanager
def queued_write(connection: Connection) -> Iterator[None]:
    """Around a short write: on a SQLite file, wait for other processes' writes on a lock.

    A writer that finds another one at work gets "busy" from SQLite, whose busy handler
    then sleeps 1 ms, 2 ms, 5 ms..., however soon the other is done: with a read counted
    on every page view, gunicorn's workers spent a tenth of their time asleep so. Waiting
    for a lock on a file beside the database instead, writers are woken by the kernel the
    moment it is let go (in no set order). The time spent waiting for it comes out of the
    busy timeout, so a write behind one that does not queue (a form's commit, a migration)
    still gives up after BUSY_TIMEOUT_MS in all. A lock file that cannot be opened or locked
    means no queue, not an error. A no-op on other databases, whose writers wait for each
    other's row locks in the server.

    The commit that fills the WAL also copies it into the database (SQLite's automatic
    checkpoint), so the writers queued behind it wait for that copy too.
    """
    queue, waited_ms = enter_queue(connection.engine.url)
    if queue is None:
        yield
        return
    sqlite = driver_connection(connection)
    if waited_ms:
        sqlite.execute(f"PRAGMA busy_timeout = {max(BUSY_TIMEOUT_MS - waited_ms, 0)}")
    try:
        yield
    finally:
        if waited_ms:
            sqlite.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        os.close(queue)  # and with it the lock


def enter_queue(url: URL) -> tuple[int | None, int]:
    """Open and lock the database's queue file: its descriptor and the milliseconds the
    lock took; or None where there is no queue (not a SQLite file, or a file that cannot
    be opened or locked, as on some network file systems)."""
    path = write_queue_path(url)
    if path is None:
        return None, 0
    try:
        # Opened at each write, never shared: a lock belongs to one open file, so a
        # descriptor that a forked worker or another thread held too would not exclude it.
        queue = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        return None, 0
    started = time.monotonic()
    try:
        fcntl.flock(queue, fcntl.LOCK_EX)
    except OSError:
        os.close(queue)
        return None, 0
    return queue, int((time.monotonic() - started) * 1000)


def write_queue_path(url: URL) -> str | None:
    """The queue file of a SQLite database file (None for memory and other databases)."""
    return beside_database(url, "write-queue")


def beside_database(url: URL, name: str) -> str | None:
    """`<database>-<name>`, a file beside a SQLite database file; None for memory and
    other databases, which have no file to go beside."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.query.get("uri") == "true":  # file:... names, maybe mode=memory: none to go beside
        return None
    return f"{url.database}-{name}"
