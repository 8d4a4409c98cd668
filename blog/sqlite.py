"""SQLite connection settings for a database that several processes share, and a queue
for their writes."""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine

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
    def _on_connect(dbapi_connection, connection_record) -> None:  # noqa: ANN001
        # The timeout first: switching to WAL itself waits for other connections' locks.
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    # At every checkout, not once per connection: a migration switches foreign keys off
    # for its duration, and must not hand the connection back without them. Read before
    # written: setting any such flag makes SQLite throw away every prepared statement of
    # the connection, and compile each query again at its next use.
    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, connection_record, connection_proxy) -> None:  # noqa: ANN001
        (enabled,) = dbapi_connection.execute("PRAGMA foreign_keys").fetchone()
        if not enabled:
            dbapi_connection.execute("PRAGMA foreign_keys=ON")


@contextmanager
def queued_write(connection: Connection) -> Iterator[None]:
    """Around a short write: on a SQLite file, wait for other processes' writes in a queue.

    A writer that finds another one at work gets "busy" from SQLite, whose busy handler
    then sleeps 1 ms, 2 ms, 5 ms..., however soon the other is done: with a read counted
    on every page view, gunicorn's workers spent a tenth of their time asleep so. Waiting
    for a lock on a file beside the database instead, a writer is woken by the kernel the
    moment the one before it lets go. Writers that do not queue (a form's commit, a
    migration) are still waited for through the busy timeout; a queue file that cannot be
    opened means no queue, not an error. A no-op on other databases, whose writers wait
    for each other's row locks in the server.
    """
    path = write_queue_path(connection.engine.url)
    try:
        # Opened at each write, never shared: a lock belongs to one open file, so a
        # descriptor that a forked worker or another thread held too would not exclude it.
        queue = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644) if path else None
    except OSError:
        queue = None
    if queue is None:
        yield
        return
    try:
        fcntl.flock(queue, fcntl.LOCK_EX)
        yield
    finally:
        os.close(queue)  # and with it the lock


def write_queue_path(url: URL) -> str | None:
    """The queue file of a SQLite database file (None for memory and other databases)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if "uri" in url.query:  # file:... names, maybe mode=memory: no file to put it beside
        return None
    return f"{url.database}-write-queue"
