"""SQLite connection settings for a database that several processes share."""

from sqlalchemy import event
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
