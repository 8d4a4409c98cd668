"""Shared fixtures: `app` on a freshly migrated database, `client` (pytest-flask), `runner`.

Every test that uses a database runs once per engine: SQLite always, PostgreSQL and
MariaDB when their servers are configured and reachable (tests/databases.py). The run
ends by saying which engines ran.
"""

import os
import threading
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from flask.testing import FlaskCliRunner
from sqlalchemy import URL
from sqlalchemy import event
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

from blog.auth.accounts import create_user
from blog.commands.migrate_extension import migrate
from blog.extensions import db
from tests.databases import SERVER_VARIABLES
from tests.databases import Database
from tests.databases import SQLiteDatabase
from tests.databases import dispose
from tests.databases import make_app
from tests.databases import servers
from tests.helpers import PASSWORD
from tests.helpers import Account
from tests.helpers import sign_in
from tests.history import copy_history

ENGINES = pytest.StashKey[dict[str, Database]]()
REDIS = pytest.StashKey[str | None]()
MISSING = pytest.StashKey[dict[str, str]]()
TESTS_RUN = pytest.StashKey[Counter]()


def pytest_configure(config: pytest.Config) -> None:
    """Find the engines to run on; with CI=true, all three are required."""
    engines: dict[str, Database] = {"sqlite": SQLiteDatabase()}
    missing = {}
    for name, server in servers().items():
        if server is None:
            missing[name] = f"not configured (set {SERVER_VARIABLES[name]})"
        elif reason := server.reachable():
            missing[name] = f"not reachable: {reason}"
        else:
            engines[name] = server
    redis_url, redis_missing = redis_server()
    if missing and os.environ.get("CI") == "true":
        detail = "; ".join(f"{name} {reason}" for name, reason in missing.items())
        raise pytest.UsageError(f"CI needs every database engine: {detail}")
    if redis_missing and os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI needs Redis: {redis_missing}")
    if redis_missing:
        missing["redis"] = redis_missing
    config.stash[REDIS] = redis_url
    config.stash[ENGINES] = engines
    config.stash[MISSING] = missing
    config.stash[TESTS_RUN] = Counter()


def redis_server() -> tuple[str | None, str]:
    """TEST_REDIS_URL (a database the tests may empty; `make test` names one), and why it
    cannot be used, if it cannot."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        return None, "not configured (set TEST_REDIS_URL)"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return None, f"not reachable: {error}"
    return url, ""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each database test on every engine (or those its `engines` mark names)."""
    if "database" not in metafunc.fixturenames:
        return
    names = list(metafunc.config.stash[ENGINES])
    if marker := metafunc.definition.get_closest_marker("engines"):
        names = [name for name in names if name in marker.args]
        if not names:  # said, not hidden: the engine summary says why it did not run
            wanted = " or ".join(marker.args)
            skip = pytest.mark.skip(reason=f"{wanted} not available")
            names = [pytest.param(None, marks=skip, id=wanted)]
    metafunc.parametrize("database", names, indirect=True, scope="session")


def pytest_runtest_setup(item: pytest.Item) -> None:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "database" in callspec.params:
        item.config.stash[TESTS_RUN][callspec.params["database"]] += 1


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    terminalreporter.section("database engines")
    for name, count in config.stash[TESTS_RUN].items():
        terminalreporter.write_line(f"{name}: ran ({count} tests)")
    for name, reason in config.stash[MISSING].items():
        terminalreporter.write_line(f"{name}: NOT RUN, {reason}")
    report_browser_tests(terminalreporter)
    report_transcripts_not_run(terminalreporter)


def report_transcripts_not_run(terminalreporter) -> None:
    """List the documents' transcripts marked `not run`, with where and why
    (tests/test_docs.py records each on its report as "transcript_not_run")."""
    not_run = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        for key, value in getattr(report, "user_properties", ())
        if key == "transcript_not_run" and getattr(report, "when", "call") == "call"
    ]
    if not_run:
        terminalreporter.section("documents' transcripts")
        terminalreporter.write_line(f"not run ({len(not_run)} blocks):")
        for block in not_run:
            terminalreporter.write_line(f"  {block}")


def report_browser_tests(terminalreporter) -> None:
    """Say whether the browser tests ran, in which Chromium, and name those that did not.

    tests/test_browser.py records on each test's report the Chromium it ran in
    ("chromium"), or why it could not run ("browser_not_run"), and its screenshots.
    """
    ran: dict[str, str] = {}
    not_run: dict[str, str] = {}
    artifacts: list[str] = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            for key, value in getattr(report, "user_properties", ()):
                if key == "chromium":
                    ran[report.nodeid] = value
                elif key == "browser_not_run":
                    not_run[report.nodeid] = value
                elif key == "artifact" and value not in artifacts:
                    artifacts.append(value)
    if not ran and not not_run:
        return  # no browser test was selected
    terminalreporter.section("browser tests")
    if ran:
        versions = ", ".join(sorted(set(ran.values())))
        terminalreporter.write_line(
            f"browser tests: ran ({len(ran)} tests) in Chromium {versions}"
        )
    for reason in sorted(set(not_run.values())):
        names = [nodeid for nodeid, why in not_run.items() if why == reason]
        terminalreporter.write_line(f"browser tests: NOT RUN ({len(names)} tests), {reason}:")
        for nodeid in names:
            terminalreporter.write_line(f"  {nodeid}")
    for path in artifacts:
        terminalreporter.write_line(f"screenshot: {path}")


@pytest.fixture(scope="session")
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """One engine's server, with a database migrated once to copy from."""
    server = request.config.stash[ENGINES][request.param]
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The test Redis database, empty before and after the test; the test is skipped
    without one (and with CI=true, the run fails first)."""
    url = request.config.stash[REDIS]
    if url is None:
        pytest.skip("Redis not available")
    request.config.stash[TESTS_RUN]["redis"] += 1
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def app(database: Database) -> Iterator[Flask]:
    """The testing app on its own database, built by the migrations (never create_all)."""
    url = database.migrated()
    app = make_app(url)
    yield app
    dispose(app)
    database.drop(url)


@pytest.fixture
def empty_database(database: Database) -> Iterator[URL]:
    """A database with nothing in it, for tests that run the migrations themselves."""
    url = database.empty()
    yield url
    database.drop(url)


@pytest.fixture
def empty_app(empty_database: URL) -> Iterator[Flask]:
    """The testing app on an empty database."""
    app = make_app(empty_database)
    yield app
    dispose(app)


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of migrations/ that the app migrates from, for scratch revisions on top or
    edits to the released ones."""
    directory = copy_history(tmp_path / "migrations")
    monkeypatch.setattr(migrate, "directory", str(directory))
    return directory


@pytest.fixture
def make_user(app: Flask) -> Callable[[str], Account]:
    """`make_user(name)`: an author in the app's database, made as `flask users create` would."""

    def make_user(name: str) -> Account:
        with app.app_context():
            return Account(create_user(name, PASSWORD).id, name)

    return make_user


@pytest.fixture
def author(client: FlaskClient, make_user: Callable[[str], Account]) -> Account:
    """An author called ada, signed in on `client`."""
    account = make_user("ada")
    sign_in(client, account)
    return account


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without its own access log: the app already logs every request."""

    def log(self, type: str, message: str, *args: object) -> None:
        pass


@pytest.fixture
def site(app):
    """The app served on a loopback port by a background thread; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


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


@pytest.fixture
def sql(app: Flask) -> Callable[[Callable[[], object]], list[str]]:
    """`sql(action)`: the SQL statements the app runs while `action()` runs, on any of
    its engines."""

    def capture(action: Callable[[], object]) -> list[str]:
        with app.app_context():
            engines = list(db.engines.values())
        statements: list[str] = []

        def record(connection, cursor, statement, *args) -> None:
            statements.append(statement)

        for engine in engines:
            event.listen(engine, "before_cursor_execute", record)
        try:
            action()
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", record)
        return statements

    return capture


@pytest.fixture(autouse=True)
def _push_request_context() -> None:
    """Replace pytest-flask's fixture that pushes one request context around each test.

    With it, every request in a test would share one app context and so one database
    session, hiding bugs that only appear when each request starts afresh, as in
    production. Tests that touch the database open `app.app_context()` themselves.
    """
