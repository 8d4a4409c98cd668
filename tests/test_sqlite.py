"""SQLite set up for several processes writing at once."""

import errno
import fcntl
import os
import sqlite3
import threading
import time

import pytest
from sqlalchemy import make_url

import blog.sqlite
from blog.extensions import db
from blog.models import Post
from blog.sqlite import BUSY_TIMEOUT_MS
from blog.sqlite import queued_write
from blog.sqlite import write_queue_path
from tests.history import run_sql

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


def hold_queue(path: str) -> int:
    """Lock a write queue as another worker's write in progress would; os.close lets go."""
    queue = os.open(path, os.O_RDONLY | os.O_CREAT)
    fcntl.flock(queue, fcntl.LOCK_EX)
    return queue


def read_in_thread(app, url: str) -> tuple[threading.Thread, list]:
    """GET `url` from another thread; its response and the moment it came, in the list."""
    results = []

    def read() -> None:
        response = app.test_client().get(url)
        results.append((response, time.monotonic()))

    reader = threading.Thread(target=read)
    reader.start()
    return reader, results


def test_a_read_waits_on_the_queue_while_another_write_holds_it(app, client, save):
    [post_id] = save(Post(title="Popular", body="b"))
    assert "1 read<" in client.get("/posts/popular").text  # templates compiled, pool warm
    with app.app_context():
        queue = hold_queue(write_queue_path(db.engine.url))
    try:
        reader, results = read_in_thread(app, "/posts/popular")
        reader.join(timeout=0.5)
        assert reader.is_alive(), "the read did not wait for the write before it"
        with app.app_context():
            assert db.session.get(Post, post_id).read_count == 1
    finally:
        os.close(queue)  # that write is done: the read goes on at once
    reader.join(timeout=10)
    assert not reader.is_alive()
    [(response, _)] = results
    assert response.status_code == 200 and "2 reads" in response.text


def test_time_spent_in_the_queue_comes_out_of_the_busy_timeout(app, save, monkeypatch):
    # Behind a writer that does not queue (a migration, a form's commit) and holds SQLite's
    # write lock, each queued read would otherwise wait the whole busy timeout in turn.
    monkeypatch.setattr(blog.sqlite, "BUSY_TIMEOUT_MS", 1500)
    save(Post(title="Popular", body="b"))
    with app.app_context():
        url = db.engine.url
    migration = sqlite3.connect(url.database, isolation_level=None)
    migration.execute("BEGIN IMMEDIATE")
    queue = hold_queue(write_queue_path(url))
    try:
        reader, results = read_in_thread(app, "/posts/popular")
        time.sleep(1.7)  # the read has waited its whole busy timeout in the queue
    finally:
        released = time.monotonic()
        os.close(queue)
    reader.join(timeout=10)
    migration.rollback()
    migration.close()
    [(response, answered)] = results
    # The page is served all the same; its read, not written, is kept for the next write.
    assert response.status_code == 200 and "1 read<" in response.text
    assert answered - released < 0.75, "the read waited for SQLite as if it had not queued"
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1500
    assert "2 reads" in app.test_client().get("/posts/popular").text
    [(stored,)] = run_sql(app, "SELECT read_count FROM posts")
    assert stored == 2


def test_a_write_that_fails_lets_go_of_the_queue(app):
    with app.app_context(), db.engine.connect() as connection:
        with pytest.raises(RuntimeError), queued_write(connection):
            raise RuntimeError("the write failed")
        queue = os.open(write_queue_path(db.engine.url), os.O_RDONLY)
    try:
        fcntl.flock(queue, fcntl.LOCK_EX | fcntl.LOCK_NB)  # would raise if still held
    finally:
        os.close(queue)


def test_a_queue_file_that_cannot_be_opened_means_no_queue(app, client, save):
    save(Post(title="Popular", body="b"))
    with app.app_context():
        os.mkdir(write_queue_path(db.engine.url))  # a directory where the file would be
    assert "1 read<" in client.get("/posts/popular").text


def test_a_file_system_without_locks_means_no_queue(client, save, monkeypatch):
    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")  # as some network file systems

    save(Post(title="Popular", body="b"))
    monkeypatch.setattr(blog.sqlite.fcntl, "flock", no_locks)
    assert "1 read<" in client.get("/posts/popular").text


@pytest.mark.parametrize(
    ("url", "queue"),
    [
        ("sqlite:////srv/blog/blog.db", "/srv/blog/blog.db-write-queue"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:blog?mode=memory&uri=true", None),
        ("sqlite:////srv/blog/blog.db?uri=false", "/srv/blog/blog.db-write-queue"),
        ("postgresql+psycopg://blog@db/blog", None),
    ],
)
def test_only_a_sqlite_file_has_a_write_queue(url, queue):
    assert write_queue_path(make_url(url)) == queue
