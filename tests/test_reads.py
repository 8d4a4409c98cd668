"""Read counts in batches (blog/posts/reads.py): counted in the process, shown at once,
written together; kept when a write fails. (The tests' configuration writes each read at
once; tests/test_load.py counts the batches of gunicorn's workers, up to their exit.)"""

import logging

from sqlalchemy import create_engine

from blog.models import Post
from tests.history import run_sql


def reads_shown(client, slug: str) -> int:
    page = client.get(f"/posts/{slug}")
    assert page.status_code == 200
    return int(page.text.split('<span class="reads">')[1].split()[0])


def reads_stored(app, slug: str) -> int:
    [(reads,)] = run_sql(app, "SELECT read_count FROM posts WHERE slug = :slug", slug=slug)
    return reads


def test_reads_are_shown_at_once_and_written_together(app, client, save):
    app.config["READ_COUNT_FLUSH_SECONDS"] = 3600  # this test writes them itself
    save(Post(title="Counted", body="b"), Post(title="Also counted", body="b"))
    assert [reads_shown(client, "counted") for _ in range(3)] == [1, 2, 3]
    assert client.get("/api/posts/also-counted").json["read_count"] == 1
    assert reads_stored(app, "counted") == 0
    app.extensions["blog.read_counter"].write()
    assert (reads_stored(app, "counted"), reads_stored(app, "also-counted")) == (3, 1)
    assert reads_shown(client, "counted") == 4
    app.extensions["blog.read_counter"].write()
    assert reads_stored(app, "counted") == 4


def test_reads_a_write_could_not_store_are_kept_for_the_next(app, client, save, caplog):
    app.config["READ_COUNT_FLUSH_SECONDS"] = 3600
    save(Post(title="Kept", body="b"))
    reads_shown(client, "kept")
    counter = app.extensions["blog.read_counter"]
    engine, counter.engine = counter.engine, create_engine("sqlite:////no/such/directory/x.db")
    with caplog.at_level(logging.WARNING, logger="blog.posts.reads"):
        counter.write()
        reads_shown(client, "kept")
        counter.write()
    warnings = [record.message for record in caplog.records if record.name == "blog.posts.reads"]
    assert len(warnings) == 1 and "not written" in warnings[0]  # once, until one succeeds
    counter.engine = engine
    counter.write()
    assert reads_stored(app, "kept") == 2
    assert counter.failing is False


def test_a_deleted_post_s_reads_are_dropped_quietly(app, client, save, caplog):
    app.config["READ_COUNT_FLUSH_SECONDS"] = 3600
    [post_id] = save(Post(title="Gone soon", body="b"))
    reads_shown(client, "gone-soon")
    run_sql(app, "DELETE FROM posts WHERE id = :id", id=post_id)
    with caplog.at_level(logging.WARNING, logger="blog.posts.reads"):
        app.extensions["blog.read_counter"].write()
    assert [record for record in caplog.records if record.name == "blog.posts.reads"] == []
    assert app.extensions["blog.read_counter"].unwritten == {}


def test_reads_that_cannot_be_written_at_exit_are_reported_lost(app, client, save, caplog):
    app.config["READ_COUNT_FLUSH_SECONDS"] = 3600
    save(Post(title="Lost", body="b"))
    reads_shown(client, "lost")
    reads_shown(client, "lost")
    counter = app.extensions["blog.read_counter"]
    engine, counter.engine = counter.engine, create_engine("sqlite:////no/such/directory/x.db")
    with caplog.at_level(logging.WARNING, logger="blog.posts.reads"):
        counter.write_at_exit()
    errors = [r.message for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ["2 read counts lost: the database could not be written at exit"]
    counter.engine = engine
    counter.write()


def test_reads_counted_before_a_fork_are_left_to_the_parent(app, client, save):
    app.config["READ_COUNT_FLUSH_SECONDS"] = 3600
    save(Post(title="Forked", body="b"))
    reads_shown(client, "forked")
    reads_shown(client, "forked")
    counter = app.extensions["blog.read_counter"]
    counter.process = -1  # as a worker sees it, just forked from a parent that counted two
    assert reads_shown(client, "forked") == 1
    counter.write()
    assert reads_stored(app, "forked") == 1
