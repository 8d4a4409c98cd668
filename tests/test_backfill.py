"""Filling posts.slug on a live table (blog/migrating/backfill.py, revision 6c2f9a1d3b57):
batch by batch, each committed, resumed after a kill, and the posts the previous release
writes meanwhile named too. On every engine, on small tables with small batches."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import event

from blog.extensions import db
from tests.helpers import wait_until
from tests.history import PRE_DEPLOY_HEAD
from tests.history import SLUG_COLUMN
from tests.history import insert_post
from tests.history import run_sql
from tests.history import version

pytestmark = pytest.mark.migrations

ROOT = Path(__file__).resolve().parent.parent
TITLES = ["Same title", "Other", "Same title", "Ça va?", "🎉", "Same title", "2024", "!!!"]
# What an uninterrupted run gives them, in id order.
SLUGS = [
    "same-title", "other", "same-title-2", "ca-va", "post", "same-title-3", "post-2024",
    "post-2",
]  # fmt: skip


@pytest.fixture
def old_posts(empty_app) -> list[int]:
    """A database at the slug column's revision, with posts the previous release wrote."""
    with empty_app.app_context():
        flask_migrate.upgrade(revision=SLUG_COLUMN)
    for title in TITLES:
        insert_post(empty_app, title)
    return [row[0] for row in run_sql(empty_app, "SELECT id FROM posts ORDER BY id")]


def slugs(app) -> list[str | None]:
    return [row[0] for row in run_sql(app, "SELECT slug FROM posts ORDER BY id")]


def upgrade_in_a_process(app, batch_size: int, pause: float) -> subprocess.Popen:
    """`flask db upgrade` to the pre-deploy head, in batches of `batch_size` rows with
    `pause` seconds between them, as an operator would run it."""
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "FLASK_APP": "blog",
        "BLOG_CONFIG": "testing",
        "TEST_DATABASE_URL": url,
        "BACKFILL_BATCH_SIZE": str(batch_size),
        "BACKFILL_PAUSE_SECONDS": str(pause),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "db", "upgrade", PRE_DEPLOY_HEAD],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_every_post_gets_its_slug_in_id_order(empty_app, old_posts):
    with empty_app.app_context():
        flask_migrate.upgrade(revision=PRE_DEPLOY_HEAD)
    assert slugs(empty_app) == SLUGS
    assert version(empty_app) == [PRE_DEPLOY_HEAD]


def test_each_batch_is_one_update_of_at_most_the_batch_size(empty_app, old_posts, monkeypatch):
    empty_app.config["BACKFILL_BATCH_SIZE"] = 3
    with empty_app.app_context():
        engine = db.engine
    updates: list[int] = []

    def record(connection, cursor, statement, parameters, *args) -> None:
        if statement.startswith("UPDATE posts SET slug"):
            updates.append(statement.count(" WHEN "))  # one per row

    event.listen(engine, "before_cursor_execute", record)
    try:
        with empty_app.app_context():
            flask_migrate.upgrade(revision=PRE_DEPLOY_HEAD)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert updates == [3, 3, 2]
    assert slugs(empty_app) == SLUGS


def test_a_backfill_killed_half_way_finishes_when_run_again(empty_app, old_posts):
    """Neither redone nor skipped: the slugs committed before the kill stay as they are,
    and the rest get what an uninterrupted run would have given them."""
    process = upgrade_in_a_process(empty_app, batch_size=2, pause=0.3)
    try:
        wait_until(lambda: sum(slug is not None for slug in slugs(empty_app)) >= 4)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.communicate(timeout=30)
    before = slugs(empty_app)
    done = [slug for slug in before if slug is not None]
    assert 4 <= len(done) < len(TITLES), before
    assert before[: len(done)] == SLUGS[: len(done)]  # the batches committed, in id order
    assert version(empty_app) == [SLUG_COLUMN]  # the revision itself is not recorded yet

    with empty_app.app_context():
        flask_migrate.upgrade(revision=PRE_DEPLOY_HEAD)
    assert slugs(empty_app) == SLUGS
    assert version(empty_app) == [PRE_DEPLOY_HEAD]


def test_posts_the_previous_release_writes_during_the_backfill_are_named(empty_app, old_posts):
    process = upgrade_in_a_process(empty_app, batch_size=2, pause=0.2)
    written = []

    def write_like_the_previous_release() -> None:
        for number in range(5):
            insert_post(empty_app, f"Written during the deploy {number}")  # no slug
            written.append(number)
            time.sleep(0.1)

    try:
        wait_until(lambda: any(slug is not None for slug in slugs(empty_app)))
        writer = threading.Thread(target=write_like_the_previous_release)
        writer.start()
        writer.join(30)
    finally:
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert len(written) == 5
    named = run_sql(empty_app, "SELECT slug FROM posts WHERE title LIKE 'Written during%'")
    assert sorted(slug for (slug,) in named) == [
        f"written-during-the-deploy-{number}" for number in range(5)
    ]
    assert None not in slugs(empty_app)
