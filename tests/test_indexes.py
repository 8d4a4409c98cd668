"""Indexes built without stopping writes (blog/migrating/indexes.py): a build that fails
leaves nothing in the way of the next run, on every engine."""

import pytest
from alembic import command
from sqlalchemy.exc import IntegrityError

from blog.commands.migrate_extension import migrate
from tests.history import HEAD
from tests.history import PRE_DEPLOY_HEAD
from tests.history import SLUG_COLUMN
from tests.history import add_revision
from tests.history import dialect
from tests.history import insert_post
from tests.history import run_sql
from tests.history import version

pytestmark = pytest.mark.migrations

INDEX_VALID = """
SELECT i.indisvalid FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
WHERE c.relname = 'uq_posts_slug'
"""


def upgrade(app, revision: str) -> None:
    with app.app_context():
        command.upgrade(migrate.get_config(), revision)


def test_a_failed_unique_build_is_cleaned_up_by_the_next_run(empty_app):
    upgrade(empty_app, SLUG_COLUMN)
    insert_post(empty_app, "First", slug="taken")
    insert_post(empty_app, "Second", slug="taken")  # no unique index yet: nothing refuses it
    with pytest.raises(IntegrityError):
        upgrade(empty_app, PRE_DEPLOY_HEAD)
    assert version(empty_app) == [SLUG_COLUMN]
    if dialect(empty_app) == "postgresql":
        # CREATE INDEX CONCURRENTLY leaves its index behind, INVALID: unused by queries,
        # yet updated by every write, and in the way of a plain retry.
        assert run_sql(empty_app, INDEX_VALID) == [(False,)]

    run_sql(empty_app, "UPDATE posts SET slug = NULL WHERE title = 'Second'")
    upgrade(empty_app, PRE_DEPLOY_HEAD)
    assert version(empty_app) == [PRE_DEPLOY_HEAD]
    if dialect(empty_app) == "postgresql":
        assert run_sql(empty_app, INDEX_VALID) == [(True,)]
    assert run_sql(empty_app, "SELECT title, slug FROM posts ORDER BY id") == [
        ("First", "taken"),
        ("Second", "second"),
    ]


def test_a_run_that_stopped_after_the_build_skips_it(empty_app):
    """The index is there and whole, the version table not yet: the next run goes on."""
    upgrade(empty_app, PRE_DEPLOY_HEAD)
    run_sql(empty_app, f"UPDATE alembic_version SET version_num = '{SLUG_COLUMN}'")
    upgrade(empty_app, PRE_DEPLOY_HEAD)
    assert version(empty_app) == [PRE_DEPLOY_HEAD]


LOWER_TITLE = """
from blog.migrating.indexes import create_index
create_index("ix_posts_lower_title", "posts", [sa.text("lower(title)")])
"""


def test_an_index_on_an_expression_where_the_engine_has_them(empty_app, history):
    """Built, and skipped by a run that finds it built, on PostgreSQL and SQLite (as the
    lower(name) indexes of 1306b26445e4 are); refused in one line on MariaDB."""
    add_revision(history, "lowertitle", LOWER_TITLE)
    if dialect(empty_app) == "mysql":
        with pytest.raises(NotImplementedError, match="MariaDB indexes no expression"):
            upgrade(empty_app, "lowertitle")
        return
    upgrade(empty_app, "lowertitle")
    run_sql(empty_app, f"UPDATE alembic_version SET version_num = '{HEAD}'")
    upgrade(empty_app, "lowertitle")
    assert version(empty_app) == ["lowertitle"]
    insert_post(empty_app, "Title", slug="one")
    insert_post(empty_app, "TITLE", slug="two")  # not unique: both stay
    assert len(run_sql(empty_app, "SELECT id FROM posts WHERE lower(title) = 'title'")) == 2
