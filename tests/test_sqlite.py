"""SQLite set up for several processes writing at once."""

import fcntl
import os
import threading

import pytest
from sqlalchemy import make_url

from blog.extensions import db
from blog.models import Post
from blog.sqlite import BUSY_TIMEOUT_MS
from blog.sqlite import write_queue_path

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


def test_a_read_waits_its_turn_behind_a_write_in_the_queue(app, save):
    [post_id] = save(Post(title="Popular", body="b"))
    with app.app_context():
        path = write_queue_path(db.engine.url)
    responses = []

    def read() -> None:
        responses.append(app.test_client().get(f"/posts/{post_id}"))

    reader = threading.Thread(target=read)
    queue = os.open(path, os.O_RDONLY | os.O_CREAT)
    try:
        fcntl.flock(queue, fcntl.LOCK_EX)  # another worker's write, under way
        reader.start()
        reader.join(timeout=0.5)
        assert reader.is_alive(), "the read did not wait for the write before it"
        with app.app_context():
            assert db.session.get(Post, post_id).read_count == 0
    finally:
        os.close(queue)  # that write is done: the read goes on at once
    reader.join(timeout=10)
    assert [response.status_code for response in responses] == [200]
    assert "1 read<" in responses[0].text


def test_a_queue_file_that_cannot_be_opened_leaves_the_busy_timeout_to_wait(app, client, save):
    [post_id] = save(Post(title="Popular", body="b"))
    with app.app_context():
        os.mkdir(write_queue_path(db.engine.url))  # a directory where the file would be
    assert "1 read<" in client.get(f"/posts/{post_id}").text


@pytest.mark.parametrize(
    ("url", "queue"),
    [
        ("sqlite:////srv/blog/blog.db", "/srv/blog/blog.db-write-queue"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:blog?mode=memory&uri=true", None),
        ("postgresql+psycopg://blog@db/blog", None),
    ],
)
def test_only_a_sqlite_file_has_a_write_queue(url, queue):
    assert write_queue_path(make_url(url)) == queue
