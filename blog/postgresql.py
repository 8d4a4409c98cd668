"""PostgreSQL connection checks: a pooled connection the server has closed is replaced
before a page uses it."""

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.pool import PoolProxiedConnection


def configure_postgresql(engine: Engine) -> None:
    """Check each pooled connection at checkout without a round trip (a no-op on other
    databases): an idle connection has nothing to read unless the server has closed it,
    or is closing it (a restart, pg_terminate_backend, idle_session_timeout), which it
    says with a last message before the end of the stream. SQLAlchemy's pool_pre_ping
    would ask the server instead: a round trip that cost each page about a sixth of its
    time (docs/benchmarks.md)."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "checkout", refuse_closed_connection)


def refuse_closed_connection(
    dbapi_connection: Any,
    connection_record: ConnectionPoolEntry,
    connection_proxy: PoolProxiedConnection,
) -> None:
    # A DisconnectionError here makes the pool drop the connection and hand out a new one.
    waiting = select.poll()
    waiting.register(dbapi_connection.fileno(), select.POLLIN)
    if waiting.poll(0):
        raise DisconnectionError("the server has closed this pooled connection")
