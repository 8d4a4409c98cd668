"""The migration history, on every engine: it replays from empty, goes back down, keeps
data, matches the models; and the `flask db` commands a developer types."""

import os
import re
import subprocess
import sys
from pathlib import Path

import flask_migrate
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy import inspect

from blog.commands.migrate_extension import migrate
from blog.extensions import db
from blog.migrating import ledger
from blog.migrating.autogenerate import expression_indexes_unreflected
from blog.migrating.autogenerate import include_object
from blog.migrating.history import MIGRATIONS_DIRECTORY
from tests.helpers import flask_db
from tests.history import AUTHORS
from tests.history import BELOW_HEAD
from tests.history import HEAD
from tests.history import INITIAL
from tests.history import MARKDOWN
from tests.history import NAMES_IGNORING_CASE
from tests.history import READ_COUNT
from tests.history import RUN_TABLES
from tests.history import SLUG_COLUMN
from tests.history import SLUG_INDEX
from tests.history import SLUG_REQUIRED
from tests.history import TABLE_STORAGE
from tests.history import TOKENS
from tests.history import copy_history
from tests.history import dialect
from tests.history import insert_post
from tests.history import revisions_oldest_first
from tests.history import run_sql
from tests.history import schema
from tests.history import script_directory
from tests.history import version

pytestmark = pytest.mark.migrations


def test_upgrade_from_empty_to_head_creates_the_tables(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
    tables = RUN_TABLES | {"api_tokens", "categories", "posts", "users"}
    assert set(schema(empty_app)) == tables
    assert "slug" in [column[0] for column in schema(empty_app)["posts"]["columns"]]
    assert version(empty_app) == [HEAD]


def test_downgrade_to_base_and_upgrade_again_gives_the_same_schema(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        first = schema(empty_app)
        flask_migrate.downgrade(revision="base")
        assert set(schema(empty_app)) == RUN_TABLES
        assert version(empty_app) == []
        flask_migrate.upgrade()
    assert schema(empty_app) == first


def test_every_revision_goes_down_one_step_and_up_again_unchanged(empty_app):
    """The stairway: each downgrade restores the schema before its upgrade, exactly."""

    def tables() -> dict:  # the run's tables stay once created, even at base
        return {name: table for name, table in schema(empty_app).items() if name not in RUN_TABLES}

    for revision in revisions_oldest_first():
        below = tables()
        with empty_app.app_context():
            flask_migrate.upgrade(revision=revision)
            at = schema(empty_app)
            flask_migrate.downgrade(revision="-1")
            assert tables() == below, revision
            flask_migrate.upgrade(revision=revision)
        assert schema(empty_app) == at, revision


def test_read_count_migration_keeps_every_post_and_starts_at_zero(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade(revision=INITIAL)
    run_sql(
        empty_app,
        "INSERT INTO categories (id, name, created_at) VALUES (1, 'Python', '2026-01-01 00:00')",
    )
    run_sql(
        empty_app,
        "INSERT INTO posts (id, title, body, created_at, updated_at, category_id) VALUES"
        " (1, 'Typed', 'A body', '2026-01-02 00:00:00', '2026-01-02 00:00:00', 1),"
        " (2, 'Loose', 'Another', '2026-01-03 00:00:00', '2026-01-03 00:00:00', NULL)",
    )
    columns = "id, title, body, category_id, created_at"
    before = run_sql(empty_app, f"SELECT {columns} FROM posts ORDER BY id")

    with empty_app.app_context():
        flask_migrate.upgrade(revision=READ_COUNT)
    assert run_sql(empty_app, f"SELECT {columns} FROM posts ORDER BY id") == before
    assert run_sql(empty_app, "SELECT read_count FROM posts ORDER BY id") == [(0,), (0,)]
    run_sql(empty_app, "UPDATE posts SET read_count = 5 WHERE id = 1")

    with empty_app.app_context():
        flask_migrate.downgrade(revision=INITIAL)
    assert run_sql(empty_app, f"SELECT {columns} FROM posts ORDER BY id") == before
    assert "read_count" not in [c[0] for c in schema(empty_app)["posts"]["columns"]]
    assert run_sql(empty_app, "SELECT id, name FROM categories") == [(1, "Python")]


def test_authors_and_markdown_migrations_keep_every_post_and_category(empty_app):
    """Revisions 3 and 4 on a blog that already has posts: up, then back down."""
    with empty_app.app_context():
        flask_migrate.upgrade(revision=READ_COUNT)
    run_sql(
        empty_app,
        "INSERT INTO categories (id, name, created_at) VALUES"
        " (1, 'Python', '2026-01-01 00:00'), (2, 'Empty', '2026-01-01 00:00')",
    )
    run_sql(
        empty_app,
        "INSERT INTO posts (id, title, body, created_at, updated_at, category_id, read_count)"
        " VALUES (1, 'Typed', '# A body', '2026-01-02 00:00:00', '2026-01-02 00:00:00', 1, 3),"
        " (2, 'Loose', 'Another', '2026-01-03 00:00:00', '2026-01-04 00:00:00', NULL, 0)",
    )
    posts = "SELECT id, title, body, category_id, created_at, updated_at, read_count FROM posts"
    categories = "SELECT id, name, created_at FROM categories ORDER BY id"
    before = (run_sql(empty_app, f"{posts} ORDER BY id"), run_sql(empty_app, categories))

    with empty_app.app_context():
        flask_migrate.upgrade(revision=AUTHORS)
        flask_migrate.upgrade(revision=MARKDOWN)
    assert (run_sql(empty_app, f"{posts} ORDER BY id"), run_sql(empty_app, categories)) == before
    # No author, and no rendered body: they were written as plain text, before Markdown.
    new_columns = "SELECT author_id, body_html, excerpt FROM posts ORDER BY id"
    assert run_sql(empty_app, new_columns) == [(None, None, None)] * 2
    run_sql(
        empty_app,
        "INSERT INTO users (id, name, password_hash, created_at)"
        " VALUES (1, 'ada', 'x', '2026-01-05 00:00')",
    )
    run_sql(empty_app, "UPDATE posts SET author_id = 1, body_html = '<h1>A body</h1>'")

    with empty_app.app_context():
        flask_migrate.downgrade(revision=AUTHORS)
        flask_migrate.downgrade(revision=READ_COUNT)
    assert (run_sql(empty_app, f"{posts} ORDER BY id"), run_sql(empty_app, categories)) == before
    assert "users" not in schema(empty_app)
    assert "author_id" not in [c[0] for c in schema(empty_app)["posts"]["columns"]]


def test_read_count_goes_up_and_down_without_rewriting_the_table(empty_app):
    """No batch-mode copy: PostgreSQL and MariaDB change only their catalogs, and SQLite
    adds the column in its catalog and drops it in place."""
    with empty_app.app_context():
        flask_migrate.upgrade(revision=INITIAL)
    insert_post(empty_app, "kept")
    storage = TABLE_STORAGE[dialect(empty_app)]
    before = run_sql(empty_app, storage)
    with empty_app.app_context():
        flask_migrate.upgrade(revision=READ_COUNT)
    assert run_sql(empty_app, storage) == before
    with empty_app.app_context():
        flask_migrate.downgrade(revision=INITIAL)
    assert run_sql(empty_app, storage) == before


def test_new_rows_get_read_count_zero_from_the_server_default(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
    insert_post(empty_app, "t", slug="t")
    assert run_sql(empty_app, "SELECT read_count FROM posts") == [(0,)]


def test_the_schema_at_head_is_what_the_models_declare(app):
    with app.app_context(), db.engine.connect() as connection:
        name = connection.dialect.name
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                # As env.py does:
                "include_name": ledger.is_not_ledger,
                "include_object": include_object(name),
            },
        )
        with expression_indexes_unreflected(db.metadata, name):
            assert compare_metadata(context, db.metadata) == []


def test_every_constraint_and_index_is_named(app):
    tables = schema(app)
    for table in ("categories", "posts", "users"):
        names = [
            *(fk["name"] for fk in tables[table]["foreign_keys"]),
            *(index["name"] for index in tables[table]["indexes"]),
            *(unique["name"] for unique in tables[table]["unique"]),
        ]
        # MariaDB/MySQL call every primary key PRIMARY, and reflect no name for it.
        if dialect(app) != "mysql":
            names.append(tables[table]["primary_key"]["name"])
        assert all(names), (table, names)


def test_there_is_exactly_one_head():
    assert script_directory().get_heads() == [HEAD]


def test_revision_files_sort_in_history_order():
    scripts = script_directory()
    files = sorted(path.name for path in (MIGRATIONS_DIRECTORY / "versions").glob("*.py"))
    assert all(re.match(r"\d{4}_\d\d_\d\d_\d{6}-[0-9a-f]+_\w+\.py$", name) for name in files)
    by_file = [scripts.get_revision(name.split("-")[1].split("_")[0]).revision for name in files]
    assert by_file == revisions_oldest_first()
    assert by_file == [
        *(INITIAL, READ_COUNT, AUTHORS, MARKDOWN, TOKENS),
        *(SLUG_COLUMN, SLUG_INDEX, SLUG_REQUIRED),
        NAMES_IGNORING_CASE,
    ]


@pytest.mark.parametrize("kind", ["engine", "connection"])
def test_env_py_migrates_a_connection_or_engine_handed_in(app, empty_database, kind):
    """As pytest-alembic and other tools do: the app's own database is not touched."""
    engine = create_engine(empty_database)
    with app.app_context():
        config = migrate.get_config()
        if kind == "engine":
            config.attributes["connection"] = engine
            command.upgrade(config, "head")
        else:
            # Inside the caller's transaction, a revision cannot step out of it: the
            # revisions before the first one that does.
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, SLUG_COLUMN)
    tables = set(inspect(engine).get_table_names())
    assert tables == RUN_TABLES | {"api_tokens", "categories", "posts", "users"}
    engine.dispose()


# The `flask db` commands, as a developer types them.


def test_flask_db_upgrade_check_downgrade(empty_app):
    assert flask_db(empty_app, "upgrade").exit_code == 0
    assert version(empty_app) == [HEAD]
    assert flask_db(empty_app, "check").exit_code == 0
    assert flask_db(empty_app, "downgrade").exit_code == 0
    assert version(empty_app) == [BELOW_HEAD]
    assert flask_db(empty_app, "check").exit_code != 0  # behind head: not up to date


def test_flask_db_from_the_shell_migrates_the_test_database_only(empty_database, tmp_path):
    """`BLOG_CONFIG=testing flask db ...` from the repository root, as the README shows."""
    env = {
        **os.environ,
        "BLOG_CONFIG": "testing",
        "TEST_DATABASE_URL": empty_database.render_as_string(hide_password=False),
        "DEV_DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}",
    }

    def flask(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "flask", "db", *args],
            cwd=MIGRATIONS_DIRECTORY.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    flask("upgrade")
    assert flask("current").strip() == f"{HEAD} (head)"
    history = flask("history")
    assert "<base> -> 391d89251b4c, initialize Post and Category models" in history
    assert "391d89251b4c -> a97811296e15, add read_count field to Post model" in history
    assert "516cfe85f177 -> 31a20481caf2, add rendered Markdown to posts" in history
    assert "31a20481caf2 -> b18505927d6b, add API tokens" in history
    assert "6c2f9a1d3b57 -> 0f4e7b2c9a68, require post slugs" in history
    assert "0f4e7b2c9a68 -> 1306b26445e4 (head), make names unique ignoring case" in history
    downgrade = flask("downgrade")
    assert flask("current").strip() == BELOW_HEAD
    assert not (tmp_path / "dev.db").exists()
    if empty_database.get_backend_name() == "sqlite":
        # The real instance folder: the command ran as a user would run it. Tidy up.
        backup = Path(re.search(r"Backed up the database to (\S+) before", downgrade)[1])
        assert backup.parent == MIGRATIONS_DIRECTORY.parent / "instance" / "backups"
        backup.unlink()


@pytest.fixture
def history_without_read_count(tmp_path) -> Path:
    """A copy of migrations/ without the read_count revision and those after it, to generate
    them again (in one revision, since the models hold all their changes)."""
    directory = copy_history(tmp_path / "migrations")
    later = revisions_oldest_first()[revisions_oldest_first().index(READ_COUNT) :]
    for revision in later:
        [path] = (directory / "versions").glob(f"*-{revision}_*.py")
        path.unlink()
    return directory


def test_flask_db_migrate_generates_the_read_count_revision(empty_app, history_without_read_count):
    """The README's workflow: model changed → migrate → review → upgrade → downgrade."""
    directory = str(history_without_read_count)
    assert flask_db(empty_app, "upgrade", "-d", directory).exit_code == 0

    generated = flask_db(
        empty_app, "migrate", "-d", directory, "-m", "add read_count field to Post model"
    )
    assert generated.exit_code == 0, generated.output
    versions = history_without_read_count / "versions"
    [script] = versions.glob("*_add_read_count_field_to_post_model.py")
    source = script.read_text()
    # As written, then formatted by ruff (migrations/alembic.ini's post-write hooks).
    assert (
        'sa.Column("read_count", sa.Integer(), server_default=sa.text("0"), nullable=False)'
        in source
    )
    assert 'batch_op.drop_column("read_count")' in source
    # Why generated scripts are reviewed: the slug comes as NOT NULL with no default, which
    # a table that has posts refuses (the released revisions expand, fill, then contract).
    assert 'sa.Column("slug", sa.String(length=100), nullable=False)' in source
    insert_post(empty_app, "kept")
    first_try = flask_db(empty_app, "upgrade", "-d", directory)
    if dialect(empty_app) == "mysql":
        # Worse: MariaDB gives every existing post an empty slug, and says nothing.
        assert first_try.exit_code == 0
        assert run_sql(empty_app, "SELECT slug FROM posts") == [("",)]
    else:
        assert first_try.exit_code != 0 and "slug" in str(first_try.exception)
    run_sql(empty_app, "DELETE FROM posts")

    assert flask_db(empty_app, "upgrade", "-d", directory).exit_code == 0
    insert_post(empty_app, "kept", slug="kept")
    assert run_sql(empty_app, "SELECT title, read_count FROM posts") == [("kept", 0)]
    assert flask_db(empty_app, "check", "-d", directory).exit_code == 0
    downgrade = flask_db(empty_app, "downgrade", "-d", directory)
    if dialect(empty_app) == "mysql":
        # Why generated scripts are reviewed: this one drops a foreign key's index before
        # its table, which MariaDB refuses (the reviewed revision drops the table alone).
        assert downgrade.exit_code != 0
        assert "needed in a foreign key constraint" in str(downgrade.exception)
    else:
        assert downgrade.exit_code == 0
        assert run_sql(empty_app, "SELECT title FROM posts") == [("kept",)]


def test_flask_db_migrate_with_no_model_change_writes_nothing(runner, tmp_path):
    directory = copy_history(tmp_path / "migrations")
    before = sorted((directory / "versions").glob("*.py"))
    result = runner.invoke(args=["db", "migrate", "-d", str(directory), "-m", "nothing"])
    assert result.exit_code == 0
    assert sorted((directory / "versions").glob("*.py")) == before
