"""Shared fixtures: `app` on a freshly migrated database, `client` (pytest-flask), `runner`."""

import shutil
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import event

from blog import create_app
from blog.extensions import db


def make_app(database_url: str, **overrides: object) -> Flask:
    """The testing app on `database_url`, with single settings overridden."""
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})


def dispose(app: Flask) -> None:
    """Close the app's pooled connections, so its database file can go."""
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "blog.db"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        flask_migrate.upgrade()
    dispose(app)
    return path


@pytest.fixture
def app(migrated_template: Path, tmp_path: Path) -> Iterator[Flask]:
    """The testing app on its own database, built by the migrations (never create_all)."""
    database = tmp_path / "blog.db"
    shutil.copyfile(migrated_template, database)
    app = make_app(f"sqlite:///{database}")
    yield app
    dispose(app)


@pytest.fixture
def empty_app(tmp_path: Path) -> Iterator[Flask]:
    """The testing app on an empty database, for tests that run the migrations themselves."""
    app = make_app(f"sqlite:///{tmp_path / 'empty.db'}")
    yield app
    dispose(app)


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def save(app: Flask) -> Callable[..., list[int]]:
    """Store model instances straight in the app's database; returns their ids."""

    def save(*rows: db.Model) -> list[int]:
        with app.app_context():
            db.session.add_all(rows)
            db.session.commit()
            return [row.id for row in rows]

    return save


@pytest.fixture
def rival(app: Flask) -> Callable[[str, str], AbstractContextManager[None]]:
    """A concurrent writer at the worst moment: `with rival(prefix, sql):` runs `sql` on
    another connection (and commits it) just before the app's first statement that starts
    with `prefix`."""

    @contextmanager
    def rival(prefix: str, sql: str) -> Iterator[None]:
        with app.app_context():
            engine = db.engine
        done = []

        def write_first(connection, cursor, statement, *args) -> None:
            if statement.startswith(prefix) and not done:
                done.append(statement)
                with engine.begin() as other:
                    other.exec_driver_sql(sql)

        event.listen(engine, "before_cursor_execute", write_first)
        try:
            yield
        finally:
            event.remove(engine, "before_cursor_execute", write_first)
        assert done, f"the app ran no statement starting with {prefix!r}"

    return rival


@pytest.fixture(autouse=True)
def _push_request_context() -> None:
    """Replace pytest-flask's fixture that pushes one request context around each test.

    With it, every request in a test would share one app context and so one database
    session, hiding bugs that only appear when each request starts afresh, as in
    production. Tests that touch the database open `app.app_context()` themselves.
    """
