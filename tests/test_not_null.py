"""NOT NULL on posts.slug without a long lock (blog/migrating/not_null.py, revision
0f4e7b2c9a68), refused while a post has no slug, on every engine."""

import pytest
from alembic import command
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from blog.commands.migrate_extension import migrate
from blog.extensions import db
from tests.history import HEAD
from tests.history import PRE_DEPLOY_HEAD
from tests.history import SLUG_INDEX
from tests.history import TABLE_STORAGE
from tests.history import add_revision
from tests.history import copy_history
from tests.history import dialect
from tests.history import insert_post
from tests.history import run_sql
from tests.history import schema
from tests.history import version

pytestmark = pytest.mark.migrations


def upgrade(app, revision: str = "heads", directory: str | None = None) -> None:
    with app.app_context():
        command.upgrade(migrate.get_config(directory), revision)


def slug_nullable(app) -> bool:
    [nullable] = [c[2] for c in schema(app)["posts"]["columns"] if c[0] == "slug"]
    return nullable


def test_not_null_keeps_the_table_where_it_is(empty_app):
    """No copy of the posts: a catalog change on PostgreSQL (the check does the reading),
    one edit of SQLite's schema. (MariaDB rebuilds the table in place, writes going on.)"""
    upgrade(empty_app, PRE_DEPLOY_HEAD)
    insert_post(empty_app, "kept", slug="kept")
    storage = TABLE_STORAGE[dialect(empty_app)]
    before = run_sql(empty_app, storage)
    upgrade(empty_app, HEAD)
    assert not slug_nullable(empty_app)
    if dialect(empty_app) != "mysql":
        assert run_sql(empty_app, storage) == before
    assert run_sql(empty_app, "SELECT title, slug FROM posts") == [("kept", "kept")]


def test_every_connection_of_the_app_refuses_a_post_without_a_slug_afterwards(empty_app):
    upgrade(empty_app, PRE_DEPLOY_HEAD)
    with empty_app.app_context(), db.engine.connect() as pooled:  # opened before the change
        pooled.exec_driver_sql("SELECT count(*) FROM posts").scalar()
    upgrade(empty_app, HEAD)
    with pytest.raises(DBAPIError, match=r"(?i)null|default value"):
        insert_post(empty_app, "no slug")


@pytest.mark.engines("postgresql")
def test_on_postgresql_a_validated_check_spares_set_not_null_its_scan(empty_app):
    upgrade(empty_app, PRE_DEPLOY_HEAD)
    with empty_app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(connection, cursor, statement, *args) -> None:
        statement = statement.splitlines()[-1]  # without squawk's comment
        if statement.startswith(("ALTER TABLE posts", "DO $$")):
            statements.append(statement.split(" THEN ")[-1].strip())

    event.listen(engine, "before_cursor_execute", record)
    try:
        upgrade(empty_app, HEAD)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements == [
        "ALTER TABLE posts ADD CONSTRAINT ck_posts_slug_not_null CHECK (slug IS NOT NULL)"
        " NOT VALID; END IF; END $$",
        "ALTER TABLE posts VALIDATE CONSTRAINT ck_posts_slug_not_null",
        "ALTER TABLE posts ALTER COLUMN slug SET NOT NULL",
        "ALTER TABLE posts DROP CONSTRAINT IF EXISTS ck_posts_slug_not_null",
    ]


def test_not_null_is_refused_while_a_post_has_no_slug_and_works_once_it_has(empty_app, tmp_path):
    """A revision that sets NOT NULL without filling the column first fails, and leaves
    nothing that stops it from running again once the column is full."""
    history = copy_history(tmp_path / "migrations")
    add_revision(
        history,
        "notnull",
        """
from blog.migrating.not_null import set_not_null
set_not_null("posts", "slug", sa.String(length=100))
""",
        down_revision=SLUG_INDEX,
    )
    directory = str(history)
    upgrade(empty_app, SLUG_INDEX, directory)
    insert_post(empty_app, "no slug yet")
    with pytest.raises(Exception, match=r"(?i)null|violated|truncated"):
        upgrade(empty_app, "notnull", directory)
    assert version(empty_app) == [SLUG_INDEX]
    assert slug_nullable(empty_app)

    run_sql(empty_app, "UPDATE posts SET slug = 'named'")
    upgrade(empty_app, "notnull", directory)
    assert version(empty_app) == ["notnull"]
    assert not slug_nullable(empty_app)
