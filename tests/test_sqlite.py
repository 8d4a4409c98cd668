"""SQLite set up for several processes writing at once."""

import pytest

from blog.extensions import db
from blog.sqlite import BUSY_TIMEOUT_MS

pytestmark = pytest.mark.engines("sqlite")


def test_every_connection_uses_wal_a_busy_timeout_and_foreign_keys(app):
    with app.app_context(), db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("busy_timeout") == BUSY_TIMEOUT_MS
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("foreign_keys") == 1


def test_a_checkout_switches_foreign_keys_on_only_when_they_are_off(app):
    # Setting the pragma, even to the value it has, makes SQLite compile every statement of
    # the connection again at its next use: on every page, that was a tenth of the work.
    executed: list[str] = []
    with app.app_context():
        with db.engine.connect() as connection:
            sqlite = connection.connection.driver_connection
            sqlite.set_trace_callback(executed.append)
        with db.engine.connect() as connection:  # the pool's one connection, foreign keys on
            assert connection.connection.driver_connection is sqlite
        assert "PRAGMA foreign_keys" in executed
        assert "PRAGMA foreign_keys=ON" not in executed

        sqlite.execute("PRAGMA foreign_keys=OFF")  # as a migration leaves them, for a while
        with db.engine.connect() as connection:
            assert connection.connection.driver_connection is sqlite
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert "PRAGMA foreign_keys=ON" in executed
        sqlite.set_trace_callback(None)
