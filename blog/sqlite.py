"""SQLite connection settings the other databases have by default."""

from sqlalchemy import event
from sqlalchemy.engine import Engine


def enable_foreign_keys(engine: Engine) -> None:
    """Enforce foreign keys (and ON DELETE SET NULL) on every new SQLite connection."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record) -> None:  # noqa: ANN001
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
