"""SQLite connection settings the other databases have by default."""

from sqlalchemy import event
from sqlalchemy.engine import Engine


def enable_foreign_keys(engine: Engine) -> None:
    """Enforce foreign keys (and ON DELETE SET NULL) on SQLite connections.

    Set at every checkout from the pool, not once per connection: a migration switches
    them off for its duration, and must not hand the connection back without them.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, connection_record, connection_proxy) -> None:  # noqa: ANN001
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
