"""blog/migrating/locks.py and retries.py on their own, outside Alembic: the run lock, the
session it leaves, and lock timeouts told apart. (tests/test_migration_safety.py tests the
same machinery through whole runs.)"""

import threading
import time

import pytest
from sqlalchemy.exc import DBAPIError

from blog.extensions import db
from blog.migrating.locks import run_lock
from blog.migrating.retries import POSTGRESQL_LOCK_TIMEOUT
from blog.migrating.retries import error_code
from tests.history import run_lock_is_free

pytestmark = pytest.mark.migrations


def test_the_run_lock_keeps_a_second_run_out_until_it_is_let_go(app):
    with app.app_context(), db.engine.connect() as connection:
        with run_lock(connection, owned=True, writing=True):
            assert not run_lock_is_free(app)
        assert run_lock_is_free(app)


def test_commands_that_only_read_take_no_lock(app):
    with (
        app.app_context(),
        db.engine.connect() as connection,
        run_lock(connection, owned=True, writing=False),
    ):
        assert run_lock_is_free(app)


@pytest.mark.engines("postgresql")
def test_the_run_leaves_the_session_as_it_found_it(app):
    """The connection goes back to the app's pool: no lock, no timeouts left on it."""
    with app.app_context(), db.engine.connect() as connection:
        with run_lock(connection, owned=True, writing=True):
            assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "500ms"
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "15min"
        assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "0"
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "0"


@pytest.mark.engines("postgresql")
def test_a_second_run_waits_for_the_lock_outside_any_transaction(app):
    """A session waiting in pg_advisory_lock would hold a snapshot, and CREATE INDEX
    CONCURRENTLY in the first run waits for every snapshot: a deadlock. Between two tries
    the second run sleeps outside any transaction (each try is a moment's transaction,
    which a sample may catch and which ends at once)."""
    with app.app_context():
        engine = db.engine
    waiting_in_the_lock = []
    second_got_it = threading.Event()

    def second_run() -> None:
        with engine.connect() as connection, run_lock(connection, owned=True, writing=True):
            second_got_it.set()

    with engine.connect() as first, run_lock(first, owned=True, writing=True):
        second = threading.Thread(target=second_run)
        second.start()
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline:
            waiting_in_the_lock.append(
                first.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event = 'advisory'"
                ).scalar()
            )
            first.commit()
            time.sleep(0.02)
        assert not second_got_it.is_set()
    second.join(10)
    assert second_got_it.is_set()
    assert max(waiting_in_the_lock) == 0


@pytest.mark.engines("postgresql")
def test_a_lock_timeout_is_told_apart_from_other_errors(app):
    with app.app_context(), db.engine.connect() as holder, db.engine.connect() as waiter:
        holder.exec_driver_sql("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE")
        waiter.exec_driver_sql("SET lock_timeout = '50ms'")
        with pytest.raises(DBAPIError) as timed_out:
            waiter.exec_driver_sql("SELECT 1 FROM posts")
        waiter.rollback()
        with pytest.raises(DBAPIError) as other:
            waiter.exec_driver_sql("SELECT 1 FROM no_such_table")
        holder.rollback()
    assert error_code(timed_out.value) == POSTGRESQL_LOCK_TIMEOUT
    assert error_code(other.value) != POSTGRESQL_LOCK_TIMEOUT
