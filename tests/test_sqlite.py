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
