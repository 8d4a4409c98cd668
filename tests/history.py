"""Helpers for tests that run the migration history: reflected schemas, plain SQL, and
scratch revisions on top of the real history."""

import fcntl
import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import Inspector
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.exc import SAWarning

from blog.extensions import db
from blog.migrating import ledger
from blog.migrating.history import MIGRATIONS_DIRECTORY
from blog.migrating.locks import MYSQL_LOCK_NAME
from blog.migrating.locks import POSTGRESQL_LOCK_KEY
from blog.sqlite import beside_database

INITIAL = "391d89251b4c"  # initialize Post and Category models
READ_COUNT = "a97811296e15"  # add read_count field to Post model
AUTHORS = "516cfe85f177"  # add users and post authors
MARKDOWN = "31a20481caf2"  # add rendered Markdown to posts
TOKENS = "b18505927d6b"  # add API tokens
SLUG_COLUMN = "e8d7040e9847"  # add slugs to posts (pre-deploy)
SLUG_INDEX = "6c2f9a1d3b57"  # index and fill post slugs (pre-deploy)
SLUG_REQUIRED = "0f4e7b2c9a68"  # require post slugs (post-deploy)
NAMES_IGNORING_CASE = "1306b26445e4"  # make names unique ignoring case (pre-deploy)
HEAD = NAMES_IGNORING_CASE
# Where the slug release's `flask deploy` stopped, before its `flask deploy --post`: posts
# written meanwhile may have no slug. (This release's `flask deploy`, from the previous
# release's head, SLUG_REQUIRED, goes all the way: it has no post-deploy revision.)
PRE_DEPLOY_HEAD = SLUG_INDEX
BELOW_HEAD = SLUG_REQUIRED  # where one `flask db downgrade` from head lands
PREVIOUS_RELEASE = SLUG_REQUIRED  # the head of the release before this one
# The tables of the runs themselves, not of the models: there once made, even at base.
RUN_TABLES = {"alembic_version", ledger.TABLE_NAME}


# Where each engine keeps the posts table's rows: a table rewrite or copy would move them.
TABLE_STORAGE = {
    "sqlite": "SELECT rootpage FROM sqlite_master WHERE name = 'posts'",
    "postgresql": "SELECT pg_relation_filenode('posts')",
    "mysql": "SELECT table_id FROM information_schema.innodb_sys_tables"
    " WHERE name = CONCAT(DATABASE(), '/posts')",
}


def schema(app: Flask) -> dict:
    """Everything reflection sees of the database: tables, columns, keys, indexes, defaults."""
    with app.app_context(), warnings.catch_warnings():
        # Reflection on SQLite skips an index on an expression with this warning:
        # indexes() reads them instead.
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", SAWarning
        )
        inspector = inspect(db.engine)
        return {
            table: {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                    for c in inspector.get_columns(table)
                ],
                "primary_key": inspector.get_pk_constraint(table),
                "foreign_keys": inspector.get_foreign_keys(table),
                "indexes": sorted(indexes(inspector, table), key=lambda i: i["name"]),
                "unique": sorted(inspector.get_unique_constraints(table), key=lambda u: u["name"]),
            }
            for table in sorted(inspector.get_table_names())
        }


def indexes(inspector: Inspector, table: str) -> list[dict]:
    """The table's indexes as reflection sees them, and on SQLite, whose reflection skips
    those on an expression, those too: name and SQL."""
    found: list[dict] = list(inspector.get_indexes(table))
    if inspector.dialect.name != "sqlite":
        return found
    reflected = {index["name"] for index in found}
    with inspector.bind.connect() as connection:
        rows = connection.execute(
            text("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = :t"),
            {"t": table},
        )
        # Indexes SQLite makes for UNIQUE have no SQL; reflection shows those it reads.
        found += [{"name": n, "sql": sql} for n, sql in rows if sql and n not in reflected]
    return found


def dialect(app: Flask) -> str:
    """The app's database engine: sqlite, postgresql or mysql (MariaDB too)."""
    with app.app_context():
        return db.engine.dialect.name


def run_sql(app: Flask, sql: str, **params: object) -> list:
    with app.app_context(), db.engine.begin() as connection:
        result = connection.execute(text(sql), params)
        return result.all() if result.returns_rows else []


def version(app: Flask) -> list[str]:
    """The revisions alembic_version records (empty at base)."""
    return [row[0] for row in run_sql(app, "SELECT version_num FROM alembic_version")]


def insert_post(
    app: Flask, title: str, category_id: int | None = None, slug: str | None = None
) -> None:
    """A post written with plain SQL, which works at every revision: as the previous
    release writes it (no slug), unless `slug` is given."""
    columns = "title, body, created_at, updated_at, category_id" + (", slug" if slug else "")
    values = ":title, 'b', :at, :at, :category_id" + (", :slug" if slug else "")
    run_sql(
        app,
        f"INSERT INTO posts ({columns}) VALUES ({values})",
        title=title,
        at="2026-01-01 00:00:00",
        category_id=category_id,
        slug=slug,
    )


def script_directory(directory: Path = MIGRATIONS_DIRECTORY) -> ScriptDirectory:
    # Read without an app: create_app() would point the shared Migrate at migrations/
    # again, behind the back of a test migrating from a copy (the `history` fixture).
    config = Config(str(directory / "alembic.ini"))
    config.set_main_option("script_location", str(directory))
    return ScriptDirectory.from_config(config)


def revisions_oldest_first() -> list[str]:
    return [script.revision for script in reversed(list(script_directory().walk_revisions()))]


def copy_history(destination: Path) -> Path:
    """A copy of migrations/ that a test may change."""
    shutil.copytree(
        MIGRATIONS_DIRECTORY, destination, ignore=shutil.ignore_patterns("__pycache__")
    )
    return destination


def add_revision(
    directory: Path,
    revision: str,
    upgrade: str,
    down_revision: str = HEAD,
    phase: str | None = None,
) -> None:
    """A revision on top of `down_revision` in `directory`, whose upgrade runs `upgrade`
    (in `phase`, when given)."""
    body = "\n".join(f"    {line}" for line in upgrade.strip().splitlines())
    (directory / "versions" / f"2099_01_01_000000-{revision}_scratch.py").write_text(
        "import time\n\n"
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        f"revision = {revision!r}\n"
        f"down_revision = {down_revision!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n" + (f"phase = {phase!r}\n" if phase else "") + "\n\n"
        f"def upgrade():\n{body}\n\n\n"
        "def downgrade():\n    pass\n"
    )


@contextmanager
def holding_run_lock(app: Flask) -> Iterator[None]:
    """Hold the app database's migration run lock, as a run in another process would."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        lock = os.open(beside_database(engine.url, "migration-lock"), os.O_RDONLY | os.O_CREAT)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            yield
        finally:
            os.close(lock)
        return
    take, release = RUN_LOCK_SQL[engine.dialect.name]
    with engine.connect() as connection:
        assert connection.exec_driver_sql(take).scalar() in (True, 1)
        connection.commit()
        try:
            yield
        finally:
            connection.exec_driver_sql(release)
            connection.commit()


def run_lock_is_free(app: Flask) -> bool:
    """Could another process take the run lock right now? (Taken and let go at once.)"""
    try:
        with holding_run_lock(app):
            return True
    except (BlockingIOError, AssertionError):
        return False


# Try the run lock without waiting; let go of it.
RUN_LOCK_SQL = {
    "postgresql": (
        f"SELECT pg_try_advisory_lock({POSTGRESQL_LOCK_KEY})",
        f"SELECT pg_advisory_unlock({POSTGRESQL_LOCK_KEY})",
    ),
    "mysql": (f"SELECT GET_LOCK({MYSQL_LOCK_NAME}, 0)", f"SELECT RELEASE_LOCK({MYSQL_LOCK_NAME})"),
}
