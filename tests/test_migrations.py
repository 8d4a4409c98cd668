"""The migration history: it replays from empty, goes back down, keeps data, matches the models."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import flask_migrate
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy import inspect
from sqlalchemy import text

from blog import MIGRATIONS_DIRECTORY
from blog.extensions import db
from blog.extensions import migrate

INITIAL = "391d89251b4c"  # initialize Post and Category models
READ_COUNT = "a97811296e15"  # add read_count field to Post model


def schema(app) -> dict:
    """Everything reflection sees of the database: tables, columns, keys, indexes, defaults."""
    with app.app_context():
        inspector = inspect(db.engine)
        return {
            table: {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                    for c in inspector.get_columns(table)
                ],
                "primary_key": inspector.get_pk_constraint(table),
                "foreign_keys": inspector.get_foreign_keys(table),
                "indexes": sorted(inspector.get_indexes(table), key=lambda i: i["name"]),
                "unique": sorted(inspector.get_unique_constraints(table), key=lambda u: u["name"]),
            }
            for table in sorted(inspector.get_table_names())
        }


def script_directory(app) -> ScriptDirectory:
    with app.app_context():
        return ScriptDirectory.from_config(migrate.get_config())


def revisions_oldest_first(app) -> list[str]:
    return [script.revision for script in reversed(list(script_directory(app).walk_revisions()))]


def run_sql(app, sql: str, **params) -> list:
    with app.app_context(), db.engine.begin() as connection:
        result = connection.execute(text(sql), params)
        return result.all() if result.returns_rows else []


def insert_post(app, title: str) -> None:
    """A post written with plain SQL, which works at every revision."""
    run_sql(
        app,
        "INSERT INTO posts (title, body, created_at, updated_at) VALUES (:title, 'b', :at, :at)",
        title=title,
        at="2026-01-01 00:00:00",
    )


def test_upgrade_from_empty_to_head_creates_the_tables(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
    assert set(schema(empty_app)) == {"alembic_version", "categories", "posts"}
    assert run_sql(empty_app, "SELECT version_num FROM alembic_version") == [(READ_COUNT,)]


def test_downgrade_to_base_and_upgrade_again_gives_the_same_schema(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        first = schema(empty_app)
        flask_migrate.downgrade(revision="base")
        assert set(schema(empty_app)) == {"alembic_version"}
        assert run_sql(empty_app, "SELECT version_num FROM alembic_version") == []
        flask_migrate.upgrade()
    assert schema(empty_app) == first


def test_every_revision_goes_down_one_step_and_up_again_unchanged(empty_app):
    for revision in revisions_oldest_first(empty_app):
        with empty_app.app_context():
            flask_migrate.upgrade(revision=revision)
            before = schema(empty_app)
            flask_migrate.downgrade(revision="-1")
            flask_migrate.upgrade(revision=revision)
        assert schema(empty_app) == before, revision


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


def test_new_rows_get_read_count_zero_from_the_server_default(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
    insert_post(empty_app, "t")
    assert run_sql(empty_app, "SELECT read_count FROM posts") == [(0,)]


def test_the_schema_at_head_is_what_the_models_declare(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, db.metadata) == []


def test_every_constraint_and_index_is_named(app):
    tables = schema(app)
    for table in ("categories", "posts"):
        names = [
            tables[table]["primary_key"]["name"],
            *(fk["name"] for fk in tables[table]["foreign_keys"]),
            *(index["name"] for index in tables[table]["indexes"]),
            *(unique["name"] for unique in tables[table]["unique"]),
        ]
        assert all(names), (table, names)


def test_there_is_exactly_one_head(app):
    assert script_directory(app).get_heads() == [READ_COUNT]


def test_revision_files_sort_in_history_order(app):
    scripts = script_directory(app)
    files = sorted(path.name for path in (MIGRATIONS_DIRECTORY / "versions").glob("*.py"))
    assert all(re.match(r"\d{4}_\d\d_\d\d_\d{6}-[0-9a-f]+_\w+\.py$", name) for name in files)
    by_file = [scripts.get_revision(name.split("-")[1].split("_")[0]).revision for name in files]
    assert by_file == revisions_oldest_first(app) == [INITIAL, READ_COUNT]


def test_env_py_migrates_a_connection_or_engine_handed_in(app, tmp_path):
    for kind in ("engine", "connection"):
        engine = create_engine(f"sqlite:///{tmp_path / kind}.db")
        with app.app_context():
            config = migrate.get_config()
            if kind == "engine":
                config.attributes["connection"] = engine
                command.upgrade(config, "head")
            else:
                with engine.begin() as connection:
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
        assert set(inspect(engine).get_table_names()) == {"alembic_version", "categories", "posts"}
        engine.dispose()


# env.py's SQLite safeguards, proven with scratch revisions on top of the real history.


@pytest.fixture
def scratch_history(tmp_path) -> Path:
    """A copy of migrations/ that tests may add revisions to."""
    directory = tmp_path / "history"
    shutil.copytree(MIGRATIONS_DIRECTORY, directory, ignore=shutil.ignore_patterns("__pycache__"))
    return directory


def add_revision(directory: Path, revision: str, upgrade: str) -> None:
    """A revision on top of the head of `directory`, whose upgrade runs `upgrade`."""
    body = "\n".join(f"    {line}" for line in upgrade.strip().splitlines())
    (directory / "versions" / f"2099_01_01_000000-{revision}_scratch.py").write_text(
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        f"revision = {revision!r}\n"
        f"down_revision = {READ_COUNT!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        f"def upgrade():\n{body}\n\n\n"
        "def downgrade():\n    pass\n"
    )


def upgrade_with(app, directory: Path) -> None:
    with app.app_context():
        command.upgrade(migrate.get_config(directory), "head")


def test_a_batch_rebuild_of_categories_keeps_every_posts_category(empty_app, scratch_history):
    # Batch mode drops and recreates `categories`; with foreign keys on, that drop would
    # run ON DELETE SET NULL on every post.
    upgrade_with(empty_app, scratch_history)
    run_sql(
        empty_app, "INSERT INTO categories (id, name, created_at) VALUES (1, 'P', '2026-01-01')"
    )
    insert_post(empty_app, "kept")
    run_sql(empty_app, "UPDATE posts SET category_id = 1")
    add_revision(
        scratch_history,
        "rebuildcats",
        """
with op.batch_alter_table("categories", recreate="always") as batch_op:
    batch_op.add_column(sa.Column("note", sa.String(20)))
""",
    )
    upgrade_with(empty_app, scratch_history)
    assert run_sql(empty_app, "SELECT title, category_id FROM posts") == [("kept", 1)]
    assert run_sql(empty_app, "SELECT version_num FROM alembic_version") == [("rebuildcats",)]


def test_a_migration_that_breaks_a_foreign_key_is_rolled_back(empty_app, scratch_history):
    upgrade_with(empty_app, scratch_history)
    add_revision(
        scratch_history,
        "dangling",
        """
op.execute(
    "INSERT INTO posts (title, body, created_at, updated_at, category_id)"
    " VALUES ('orphan', 'b', '2026-01-01', '2026-01-01', 999)"
)
""",
    )
    with pytest.raises(RuntimeError, match="broken foreign keys"):
        upgrade_with(empty_app, scratch_history)
    assert run_sql(empty_app, "SELECT version_num FROM alembic_version") == [(READ_COUNT,)]
    assert run_sql(empty_app, "SELECT title FROM posts") == []


def test_foreign_keys_come_back_on_after_migrating_in_a_callers_transaction(empty_app):
    with empty_app.app_context():
        engine = db.engine
        config = migrate.get_config()
        with engine.begin() as connection:
            migrated = connection.connection.driver_connection
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        with engine.connect() as connection:
            assert connection.connection.driver_connection is migrated
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


# The `flask db` commands, as a developer types them.


def flask_db(app, *args: str):
    return app.test_cli_runner().invoke(args=["db", *args])


def test_flask_db_upgrade_check_downgrade(empty_app):
    assert flask_db(empty_app, "upgrade").exit_code == 0
    assert run_sql(empty_app, "SELECT version_num FROM alembic_version") == [(READ_COUNT,)]
    assert flask_db(empty_app, "check").exit_code == 0
    assert flask_db(empty_app, "downgrade").exit_code == 0
    assert run_sql(empty_app, "SELECT version_num FROM alembic_version") == [(INITIAL,)]
    assert flask_db(empty_app, "check").exit_code != 0  # behind head: not up to date


def test_flask_db_from_the_shell_migrates_the_test_database_only(tmp_path):
    """`BLOG_CONFIG=testing flask db ...` from the repository root, as the README shows."""
    env = {
        **os.environ,
        "BLOG_CONFIG": "testing",
        "TEST_DATABASE_URL": f"sqlite:///{tmp_path / 'shell.db'}",
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
    assert flask("current").strip() == f"{READ_COUNT} (head)"
    history = flask("history")
    assert "<base> -> 391d89251b4c, initialize Post and Category models" in history
    assert "391d89251b4c -> a97811296e15 (head), add read_count field to Post model" in history
    flask("downgrade")
    assert flask("current").strip() == INITIAL
    assert (tmp_path / "shell.db").exists()
    assert not (tmp_path / "dev.db").exists()


@pytest.fixture
def scratch_migrations(tmp_path) -> Path:
    """A copy of migrations/ without its latest revision, to generate that revision again."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIRECTORY, directory, ignore=shutil.ignore_patterns("__pycache__"))
    for path in (directory / "versions").glob(f"*{READ_COUNT}*"):
        path.unlink()
    return directory


def test_flask_db_migrate_generates_the_read_count_revision(empty_app, scratch_migrations):
    """The README's workflow: model changed → migrate → review → upgrade → downgrade."""
    directory = str(scratch_migrations)
    assert flask_db(empty_app, "upgrade", "-d", directory).exit_code == 0
    insert_post(empty_app, "kept")

    generated = flask_db(
        empty_app, "migrate", "-d", directory, "-m", "add read_count field to Post model"
    )
    assert generated.exit_code == 0, generated.output
    [script] = (scratch_migrations / "versions").glob("*_add_read_count_field_to_post_model.py")
    source = script.read_text()
    assert (
        "sa.Column('read_count', sa.Integer(), server_default=sa.text('0'), nullable=False)"
        in source
    )
    assert "batch_op.drop_column('read_count')" in source

    assert flask_db(empty_app, "upgrade", "-d", directory).exit_code == 0
    assert run_sql(empty_app, "SELECT title, read_count FROM posts") == [("kept", 0)]
    assert flask_db(empty_app, "check", "-d", directory).exit_code == 0
    assert flask_db(empty_app, "downgrade", "-d", directory).exit_code == 0
    assert run_sql(empty_app, "SELECT title FROM posts") == [("kept",)]


def test_flask_db_migrate_with_no_model_change_writes_nothing(
    runner, scratch_migrations, tmp_path
):
    versions = scratch_migrations / "versions"
    shutil.copy(next(MIGRATIONS_DIRECTORY.glob(f"versions/*{READ_COUNT}*")), versions)
    before = sorted(versions.glob("*.py"))
    result = runner.invoke(args=["db", "migrate", "-d", str(scratch_migrations), "-m", "nothing"])
    assert result.exit_code == 0
    assert sorted(versions.glob("*.py")) == before
